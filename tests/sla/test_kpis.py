"""Timeliness (工单处理及时率): the pure rule, and the SQL query that must agree with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.org.models import User
from manyi.sla import kpis
from manyi.sla.kpis import ClockRow, Tally
from manyi.sla.models import SlaClock, TimelinessDaySummed
from manyi.sla.tasks import sweep_due_clocks
from tests.operator_fixture import Operator

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 18, 15, 0, tzinfo=CST)  # a Wednesday afternoon
DAY_START, DAY_END = datetime(2026, 11, 18, tzinfo=CST), datetime(2026, 11, 19, tzinfo=CST)


def clock(
    due: datetime,
    *,
    met: datetime | None = None,
    state: str | None = None,
    breached: bool = False,
    team: int = 1,
) -> ClockRow:
    return ClockRow(team, "resolution", state or ("met" if met else "running"), due, met, breached)


def today(*rows: ClockRow) -> Tally:
    return kpis.total(kpis.tally(rows, start=DAY_START, end=DAY_END, at=AT))


def test_met_before_the_deadline_is_on_time() -> None:
    t = today(clock(AT + timedelta(hours=2), met=AT - timedelta(hours=1)))
    assert (t.settled, t.on_time, t.rate) == (1, 1, 1.0)


def test_met_exactly_at_the_deadline_is_on_time() -> None:
    assert today(clock(AT - timedelta(hours=1), met=AT - timedelta(hours=1))).on_time == 1


def test_met_after_the_deadline_is_late_and_counts_where_the_deadline_passed() -> None:
    late = clock(AT - timedelta(hours=3), met=AT - timedelta(hours=1), breached=True)
    assert kpis.settlement(late, at=AT) == (AT - timedelta(hours=3), False)
    assert (today(late).settled, today(late).on_time) == (1, 0)
    # Due yesterday, met today: it was late yesterday; today's figure does not see it.
    yesterday_due = clock(DAY_START - timedelta(hours=2), met=AT - timedelta(hours=1), breached=True)
    assert today(yesterday_due).settled == 0


def test_breached_flag_makes_a_met_clock_late_even_before_the_new_deadline() -> None:
    """A resolution clock that breached, was re-opened and met again stays late."""
    assert today(clock(AT + timedelta(hours=5), met=AT - timedelta(hours=1), breached=True)).on_time == 0


def test_running_past_its_deadline_is_late_even_before_the_sweep_flags_it() -> None:
    t = today(clock(AT - timedelta(minutes=1)))
    assert (t.settled, t.on_time) == (1, 0)


def test_running_and_not_yet_due_counts_nowhere() -> None:
    assert today(clock(AT + timedelta(minutes=1))).settled == 0
    # Due later today but not yet: it must not count as due (settled only by `at`).
    assert kpis.settlement(clock(DAY_END - timedelta(hours=1)), at=AT) is None


def test_paused_before_breaching_counts_nowhere_paused_after_breaching_is_late() -> None:
    assert today(clock(AT - timedelta(hours=1), state="paused")).settled == 0
    t = today(clock(AT - timedelta(hours=1), state="paused", breached=True))
    assert (t.settled, t.on_time) == (1, 0)


def test_stopped_clocks_count_only_when_they_had_breached() -> None:
    assert today(clock(AT - timedelta(hours=1), state="stopped")).settled == 0
    assert today(clock(AT - timedelta(hours=1), state="stopped", breached=True)).settled == 1


def test_periods_are_local_days_and_months_and_split_by_team() -> None:
    today_p, month_p = kpis.periods(AT, "Asia/Shanghai")
    assert today_p.start == DAY_START and today_p.end == DAY_END
    assert month_p.start == datetime(2026, 11, 1, tzinfo=CST) and month_p.end == datetime(
        2026, 12, 1, tzinfo=CST
    )
    # 00:30 in Shanghai is still the previous UTC day: the local day decides.
    assert kpis.periods(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "Asia/Shanghai")[1].start.month == 12
    rows = [
        clock(AT - timedelta(hours=1), met=AT - timedelta(hours=2), team=1),  # today, on time
        clock(AT - timedelta(days=5), met=AT - timedelta(days=6), team=1),  # this month, on time
        clock(AT - timedelta(days=3), team=2),  # this month, late
        clock(datetime(2026, 10, 30, tzinfo=CST), met=datetime(2026, 10, 29, tzinfo=CST), team=2),  # October
    ]
    month = kpis.by_team(kpis.tally(rows, start=month_p.start, end=month_p.end, at=AT))
    assert (month[1].settled, month[1].on_time) == (2, 2)
    assert (month[2].settled, month[2].on_time, month[2].rate) == (1, 0, 0.0)
    assert kpis.total(kpis.tally(rows, start=today_p.start, end=today_p.end, at=AT)).settled == 1
    assert Tally().rate is None  # nothing due: no figure rather than a flattering 100 %


@pytest.mark.parametrize("hours_after", [1, 30])
def test_the_query_agrees_with_the_rule(session: Session, operator: Operator, hours_after: int) -> None:
    """Real orders through the services and the sweep: grouped SQL == the pure rule over raw rows."""
    start = datetime(2026, 11, 16, 9, 0, tzinfo=CST)
    orders = [
        service.create_order(
            session, type=kind, description="x", channel="hotline", region_code=region, at=start
        )
        for kind, region in [("fault", "330106"), ("inquiry", "330106"), ("complaint", "330200")] * 2
    ]
    service.transition_order(
        session,
        order_id=orders[1].id,
        action="resolve",
        resolution_code="answered",
        at=start + timedelta(hours=1),
    )
    service.transition_order(session, order_id=orders[0].id, action="contact", at=start + timedelta(hours=3))
    service.transition_order(
        session, order_id=orders[3].id, action="pause", reason="客户出差", at=start + timedelta(minutes=30)
    )
    boss = User(username="boss", display_name="主管", roles=["supervisor"])  # complaints: withdrawn by them
    session.add(boss)
    session.flush()
    service.transition_order(
        session,
        order_id=orders[5].id,
        action="cancel",
        reason="客户撤销",
        actor_id=boss.id,
        at=start + timedelta(minutes=10),
    )
    at = start + timedelta(hours=hours_after)
    sweep_due_clocks(session, at=at)
    session.flush()
    raw = [
        ClockRow(team, kind, state, due, met, breached)
        for team, kind, state, due, met, breached in session.execute(
            select(
                WorkOrder.team_id,
                SlaClock.kind,
                SlaClock.state,
                SlaClock.due_at,
                SlaClock.met_at,
                SlaClock.breached,
            ).join(WorkOrder, WorkOrder.id == SlaClock.order_id)
        )
    ]
    for period in kpis.periods(at, "Asia/Shanghai"):
        expected = kpis.tally(raw, start=period.start, end=period.end, at=at)
        got = kpis.timeliness(session, start=period.start, end=period.end, at=at, regions=None)
        assert got == expected
    month = kpis.periods(at, "Asia/Shanghai")[1]
    assert (
        kpis.total(kpis.timeliness(session, start=month.start, end=month.end, at=at, regions=None)).settled
        >= 2
    )
    # Region scope: Ningbo's complaints are not in Hangzhou's figure.
    hangzhou = kpis.timeliness(
        session, start=month.start, end=month.end, at=at, regions=frozenset({"330106"})
    )
    assert not any(kind == "response" for _team, kind in hangzhou)


def test_the_month_from_daily_sums_equals_the_month_counted_directly(
    session: Session, operator: Operator
) -> None:
    """Orders over several days; the month built from closed days' sums plus today live matches one
    direct query, summing is done once, and region scope applies to the sums too."""
    first = datetime(2026, 11, 2, 9, 0, tzinfo=CST)
    for day in range(0, 12, 2):
        for kind, region in [("fault", "330106"), ("inquiry", "330106"), ("complaint", "330200")]:
            order = service.create_order(
                session,
                type=kind,
                description="x",
                channel="hotline",
                region_code=region,
                at=first + timedelta(days=day),
            )
            if day % 4 == 0:
                service.transition_order(
                    session, order_id=order.id, action="contact", at=first + timedelta(days=day, hours=1)
                )
    at = datetime(2026, 11, 16, 15, 0, tzinfo=CST)
    sweep_due_clocks(session, at=at)
    session.flush()
    today, month = kpis.periods(at, "Asia/Shanghai")
    for regions in (None, frozenset({"330106"})):
        direct = kpis.timeliness(session, start=month.start, end=month.end, at=at, regions=regions)
        for _ in range(2):  # the second call reads the stored sums
            summed = kpis.month_timeliness(
                session, period=month, today=today, at=at, regions=regions, tz_name="Asia/Shanghai"
            )
            assert {k: (t.settled, t.on_time) for k, t in summed.items()} == {
                k: (t.settled, t.on_time) for k, t in direct.items()
            }
    assert session.scalar(select(func.count()).select_from(TimelinessDaySummed)) == 15  # 1..15 Nov
    assert kpis.total(direct).settled > 0
