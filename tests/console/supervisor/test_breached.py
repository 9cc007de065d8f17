"""Issue 12, supervisor: the breached list names owner and assignee, puts the most overdue first,
and reads "超时 3天…" (never "-3天 …"); the same wording in English."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import update

from manyi.console import i18n
from manyi.console.templating import duration
from manyi.orders.models import WorkOrder
from manyi.sla.tasks import sweep_due_clocks
from tests.console.supervisor.test_supervisor import HANGZHOU, MONDAY_10, _order, frozen  # noqa: F401
from tests.fixtures.console import Console, text_of


def test_overdue_reads_as_the_operator_says_it() -> None:
    i18n.set_locale("zh_CN")
    assert duration(-(10 * 86400 + 9 * 3600 + 120)) == "超时 10天9小时"
    assert duration(2 * 86400 + 3 * 3600) == "2天 3小时"
    i18n.set_locale("en")
    assert duration(-(10 * 86400 + 9 * 3600)) == "overdue 10d 9h"
    i18n.set_locale("zh_CN")


def test_breached_list_most_overdue_first_with_owner_and_assignee(console: Console, frozen: None) -> None:  # noqa: F811
    less = _order(console, "fault", "330106", MONDAY_10 - timedelta(days=3))
    more = _order(console, "fault", "330106", MONDAY_10 - timedelta(days=6))
    tech = console.operator.techs[0]
    console.session.execute(update(WorkOrder).where(WorkOrder.id == more.id).values(assignee_id=tech.id))
    sweep_due_clocks(console.session, at=MONDAY_10)
    console.session.commit()
    html = console.user("supervisor", regions=(HANGZHOU,)).get("/supervisor").text
    table = html.split('id="breached-table"')[1].split("</table>")[0]
    assert table.index(more.number) < table.index(less.number)
    text = text_of(table)
    assert "首问责任人" in text
    assert console.operator.agent.display_name in text and tech.display_name in text and "未指派" in text
    assert "超时 " in text and not any(f"-{n}天" in text for n in range(10))


def test_a_deadline_at_midnight_reads_as_24_00_of_the_day_before() -> None:
    from datetime import datetime, timezone

    from manyi.console.templating import deadline

    cst = timezone(timedelta(hours=8))
    assert deadline(datetime(2026, 12, 19, 0, 0, tzinfo=cst)) == "2026-12-18 24:00"
    assert deadline(datetime(2026, 12, 18, 16, 0, tzinfo=UTC)) == "2026-12-18 24:00"
    assert deadline(datetime(2026, 12, 18, 17, 30, tzinfo=cst)) == "2026-12-18 17:30"
    assert deadline(datetime(2027, 1, 1, 0, 0, tzinfo=cst)) == "2026-12-31 24:00"
