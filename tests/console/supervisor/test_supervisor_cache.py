"""The supervisor page's kept figures (counts by team and status, timeliness): one region scope never
sees another's, they expire after the configured seconds, "today" never outlives midnight, the lists
stay exact meanwhile, and the page says as of when."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from manyi.core.settings import reset_settings
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.console import Console, text_of

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=CST)
HANGZHOU, NINGBO = "330100", "330200"
KEEP_SECONDS = 120


@pytest.fixture
def keep_two_minutes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MANYI_SUPERVISOR_FIGURES_SECONDS", str(KEEP_SECONDS))
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def frozen(keep_two_minutes: None) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def _order(console: Console, type_: str, region: str, at: datetime) -> WorkOrder:
    return service.create_order(
        console.session,
        type=type_,
        description=f"{type_} in {region}",
        channel="hotline",
        region_code=region,
        actor_id=console.operator.agent.id,
        at=at,
    )


def _answered(console: Console, region: str, created: datetime, resolved: datetime) -> WorkOrder:
    """An inquiry answered in time: its resolution (the headline) and first contact settle on time."""
    order = _order(console, "inquiry", region, created)
    service.transition_order(
        console.session, order_id=order.id, action="resolve", resolution_code="answered", at=resolved
    )
    return order


def _open_total(html: str) -> int:
    found = re.search(r'id="counts-total"><strong>(\d+)<', html)
    return int(found.group(1)) if found else 0


def _timeliness_total(html: str) -> list[str]:
    """'on time / due' orders of all teams, today then this month."""
    table = html.split('id="timeliness-table"')[1].split("</table>")[0]
    return re.findall(r"<td>(\d+ / \d+)</td>", table.split('class="sv-total"')[-1])


def _first_contact_total(html: str) -> list[str]:
    """'on time / due' first contacts of all teams (a stage rate), today then this month."""
    rows = html.split('data-kind="first_contact"')[1].split("</tbody>")[0]
    return re.findall(r"<td>(\d+ / \d+)</td>", rows.split('class="sv-total"')[-1])


def test_supervisors_of_different_regions_never_share_figures(console: Console, frozen: None) -> None:
    for _ in range(3):
        _order(console, "fault", "330106", MONDAY_10 - timedelta(minutes=30))
    for minutes in (60, 50):
        _answered(console, "330106", MONDAY_10 - timedelta(minutes=minutes), MONDAY_10)
    _answered(console, NINGBO, MONDAY_10 - timedelta(hours=1), MONDAY_10)
    _order(console, "complaint", NINGBO, MONDAY_10 - timedelta(minutes=30))
    # Friday 16:30: its first contact fell due, unmet, at 10:00 today.
    _order(console, "fault", NINGBO, datetime(2026, 10, 30, 16, 30, tzinfo=CST))
    console.session.commit()
    hangzhou = console.user("supervisor", regions=(HANGZHOU,))
    ningbo = console.user("supervisor", regions=(NINGBO,))
    everywhere = console.user("supervisor")

    # Each asks twice within the kept time, in turns: the second answers come from the kept figures.
    for _ in range(2):
        for staff, open_total, timeliness, first_contacts in (
            (ningbo, 2, ["1 / 1", "1 / 1"], ["1 / 2", "1 / 2"]),
            (hangzhou, 3, ["2 / 2", "2 / 2"], ["2 / 2", "2 / 2"]),
            (everywhere, 5, ["3 / 3", "3 / 3"], ["3 / 4", "3 / 4"]),
        ):
            html = staff.get("/supervisor").text
            assert _open_total(html) == open_total
            assert _open_total(staff.get("/supervisor/live").text) == open_total
            assert _timeliness_total(html) == timeliness
            assert _first_contact_total(html) == first_contacts


def test_figures_are_kept_then_recomputed_while_the_lists_stay_exact(
    console: Console, frozen: time_machine.Coordinates
) -> None:
    _answered(console, "330106", MONDAY_10 - timedelta(hours=1), MONDAY_10)
    console.session.commit()
    staff = console.user("supervisor", regions=(HANGZHOU,))
    first = staff.get("/supervisor").text
    assert _open_total(first) == 0 and _timeliness_total(first) == ["1 / 1", "1 / 1"]
    assert "截至 10:00，每分钟自动刷新" in text_of(first) and "截至 10:00。" in text_of(first)

    waiting = _order(console, "fault", "330106", MONDAY_10)
    breached = _order(console, "fault", "330106", MONDAY_10 - timedelta(days=3))
    _answered(console, "330106", MONDAY_10 - timedelta(minutes=30), MONDAY_10)
    sweep_due_clocks(console.session, at=MONDAY_10)
    console.session.commit()
    frozen.shift(timedelta(seconds=KEEP_SECONDS - 1))
    kept = staff.get("/supervisor").text
    assert _open_total(kept) == 0 and _timeliness_total(kept) == ["1 / 1", "1 / 1"]
    assert "截至 10:00，每分钟自动刷新" in text_of(kept)
    # The lists name orders to act on: exact on every request.
    assert 'id="breached-total">1<' in kept and breached.number in kept
    live = staff.get("/supervisor/live").text
    assert _open_total(live) == 0 and breached.number in live and waiting.number in live

    frozen.shift(timedelta(seconds=1))
    fresh = staff.get("/supervisor").text
    assert _open_total(fresh) == 2 and _timeliness_total(fresh) == ["2 / 2", "2 / 2"]
    assert "截至 10:02，每分钟自动刷新" in text_of(fresh) and "截至 10:02。" in text_of(fresh)
    english = console.user("supervisor", regions=(HANGZHOU,), lang="en").get("/supervisor").text
    assert "As of 10:02; refreshed every minute." in english and "As of 10:02." in english


def test_today_is_never_kept_past_midnight(console: Console, keep_two_minutes: None) -> None:
    before_midnight = datetime(2026, 11, 2, 23, 59, 30, tzinfo=CST)
    with time_machine.travel(before_midnight, tick=False) as traveller:
        _answered(console, "330106", before_midnight - timedelta(hours=1), before_midnight)
        console.session.commit()
        staff = console.user("supervisor", regions=(HANGZHOU,))
        assert _timeliness_total(staff.get("/supervisor").text) == ["1 / 1", "1 / 1"]
        traveller.shift(timedelta(seconds=60))  # 00:00:30, well within the kept time
        # Tuesday: nothing settled yet today; Monday's order counts in the month.
        assert _timeliness_total(staff.get("/supervisor").text) == ["0 / 0", "1 / 1"]


def test_zero_seconds_recomputes_every_request(
    console: Console, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    monkeypatch.setenv("MANYI_SUPERVISOR_FIGURES_SECONDS", "0")
    reset_settings()
    staff = console.user("supervisor", regions=(HANGZHOU,))
    assert _open_total(staff.get("/supervisor/live").text) == 0
    _order(console, "fault", "330106", MONDAY_10)
    console.session.commit()
    assert _open_total(staff.get("/supervisor/live").text) == 1
