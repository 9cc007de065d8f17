"""Timeliness (工单处理及时率): the pure rule, and the SQL query that must agree with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.org.models import Team, User
from manyi.sla import kpis
from manyi.sla.kpis import ClockRow, Tally
from manyi.sla.models import SlaClock, TimelinessDaySummed
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 18, 15, 0, tzinfo=CST)  # a Wednesday afternoon
DAY_START, DAY_END = datetime(2026, 11, 18, tzinfo=CST), datetime(2026, 11, 19, tzinfo=CST)


def clock(
    due: datetime,
    *,
    settled: datetime | None = None,
    on_time: bool | None = None,
    state: str = "running",
    team: int | None = 1,
    order_team: int | None = 1,
    kind: str = "resolution",
) -> ClockRow:
    return ClockRow(
        kind, state, due, settled, on_time if settled else None, team if settled else None, order_team
    )


def met(due: datetime, at: datetime, **kw: object) -> ClockRow:
    """A clock met at `at`, as the services record it: on time when met, else late at its deadline."""
    late = at > due
    return clock(due, settled=due if late else at, on_time=not late, state="met", **kw)  # type: ignore[arg-type]


def today(*rows: ClockRow) -> Tally:
    return kpis.total(kpis.tally(rows, start=DAY_START, end=DAY_END, at=AT))


def test_met_before_the_deadline_is_on_time() -> None:
    t = today(met(AT + timedelta(hours=2), AT - timedelta(hours=1)))
    assert (t.settled, t.on_time, t.rate) == (1, 1, 1.0)


def test_met_exactly_at_the_deadline_is_on_time() -> None:
    assert today(met(AT - timedelta(hours=1), AT - timedelta(hours=1))).on_time == 1


def test_met_after_the_deadline_is_late_and_counts_where_the_deadline_passed() -> None:
    late = met(AT - timedelta(hours=3), AT - timedelta(hours=1))
    assert kpis.settlement(late, at=AT) == (AT - timedelta(hours=3), False, 1)
    assert (today(late).settled, today(late).on_time) == (1, 0)
    # Due yesterday, met today: it was late yesterday; today's figure does not see it.
    assert today(met(DAY_START - timedelta(hours=2), AT - timedelta(hours=1))).settled == 0


def test_a_reopened_clock_counts_once_with_its_first_outcome() -> None:
    """Resolved on time this morning, re-opened by an unhappy callback, now running past its new
    deadline: it counts once, on time, where it was first resolved (not again as late)."""
    reopened = clock(
        AT - timedelta(minutes=5), settled=AT - timedelta(hours=4), on_time=True, state="running"
    )
    t = today(reopened)
    assert (t.settled, t.on_time) == (1, 1)


def test_running_past_its_deadline_is_late_even_before_the_sweep_flags_it() -> None:
    late = clock(AT - timedelta(minutes=1), order_team=5)
    assert kpis.settlement(late, at=AT) == (AT - timedelta(minutes=1), False, 5)  # the team holding it
    t = today(late)
    assert (t.settled, t.on_time) == (1, 0)


def test_running_and_not_yet_due_counts_nowhere() -> None:
    assert today(clock(AT + timedelta(minutes=1))).settled == 0
    # Due later today but not yet: it must not count as due (settled only by `at`).
    assert kpis.settlement(clock(DAY_END - timedelta(hours=1)), at=AT) is None


def test_paused_or_stopped_clocks_count_only_when_their_outcome_was_recorded() -> None:
    assert today(clock(AT - timedelta(hours=1), state="paused")).settled == 0
    assert today(clock(AT - timedelta(hours=1), state="stopped")).settled == 0  # cancelled in time
    for state in ("paused", "stopped"):  # paused, or cancelled, after the deadline had passed
        t = today(clock(AT - timedelta(hours=1), settled=AT - timedelta(hours=1), on_time=False, state=state))
        assert (t.settled, t.on_time) == (1, 0)


def test_seed001_a_step_counts_for_the_team_credited_not_the_orders_current_team() -> None:
    """Met by team 1, since transferred to team 2: the step is team 1's (每环节的责任单位)."""
    done = met(AT + timedelta(hours=1), AT - timedelta(hours=1), team=1, order_team=2)
    assert set(kpis.by_team(kpis.tally([done], start=DAY_START, end=DAY_END, at=AT))) == {1}


def test_the_headline_is_each_orders_resolution_once_and_stages_are_rates_of_their_own() -> None:
    """Two orders: their resolutions are the headline (1 of 2 on time); their first contact,
    appointment and extraction clocks are separate rates, never pooled into it or its 96 %."""
    rows = [
        met(AT + timedelta(hours=1), AT - timedelta(hours=1)),  # order 1 resolved on time
        clock(AT - timedelta(hours=2)),  # order 2's resolution: running past its deadline
        met(AT - timedelta(hours=5), AT - timedelta(hours=6), kind="first_contact"),
        met(AT - timedelta(hours=5), AT - timedelta(hours=6), kind="first_contact"),
        met(AT - timedelta(hours=5), AT - timedelta(hours=4), kind="appointment"),
        met(AT - timedelta(hours=5), AT - timedelta(hours=6), kind="extraction"),
    ]
    tallies = kpis.tally(rows, start=DAY_START, end=DAY_END, at=AT)
    headline = kpis.total(tallies)
    assert (headline.settled, headline.on_time, headline.rate) == (2, 1, 0.5)
    assert kpis.by_team(tallies)[1].settled == 2
    stages = {kind: (t.settled, t.on_time) for kind, t in kpis.stage_rates(tallies).items()}
    assert stages == {"extraction": (1, 1), "first_contact": (2, 2), "appointment": (1, 0)}


def test_periods_are_local_days_and_months_and_split_by_team() -> None:
    today_p, month_p = kpis.periods(AT, "Asia/Shanghai")
    assert today_p.start == DAY_START and today_p.end == DAY_END
    assert month_p.start == datetime(2026, 11, 1, tzinfo=CST) and month_p.end == datetime(
        2026, 12, 1, tzinfo=CST
    )
    # 00:30 in Shanghai is still the previous UTC day: the local day decides.
    assert kpis.periods(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "Asia/Shanghai")[1].start.month == 12
    rows = [
        met(AT - timedelta(hours=1), AT - timedelta(hours=2), team=1),  # today, on time
        met(AT - timedelta(days=5), AT - timedelta(days=6), team=1),  # this month, on time
        clock(AT - timedelta(days=3), order_team=2),  # this month, late
        met(datetime(2026, 10, 30, tzinfo=CST), datetime(2026, 10, 29, tzinfo=CST), team=2),  # October
    ]
    month = kpis.by_team(kpis.tally(rows, start=month_p.start, end=month_p.end, at=AT))
    assert (month[1].settled, month[1].on_time) == (2, 2)
    assert (month[2].settled, month[2].on_time, month[2].rate) == (1, 0, 0.0)
    assert kpis.total(kpis.tally(rows, start=today_p.start, end=today_p.end, at=AT)).settled == 1
    assert Tally().rate is None  # nothing due: no figure rather than a flattering 100 %


def _raw(session: Session) -> list[ClockRow]:
    return [
        ClockRow(*row)
        for row in session.execute(
            select(
                SlaClock.kind,
                SlaClock.state,
                SlaClock.due_at,
                SlaClock.settled_at,
                SlaClock.settled_on_time,
                SlaClock.credited_team_id,
                WorkOrder.team_id,
            ).join(WorkOrder, WorkOrder.id == SlaClock.order_id)
        )
    ]


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
    # The install pipeline, a transfer after the first contact, a late cancel, an unhappy callback.
    install = service.create_order(
        session, type="install", description="x", channel="hotline", region_code="330106", at=start
    )
    service.transition_order(session, order_id=install.id, action="extract", at=start + timedelta(hours=3))
    service.transition_order(
        session, order_id=orders[2].id, action="contact", at=start + timedelta(minutes=20)
    )
    ningbo = Team(name="宁波投诉组", department_id=operator.back_office.department_id, region_code="330200")
    session.add(ningbo)
    session.flush()
    service.transfer_order(
        session, order_id=orders[2].id, team_id=ningbo.id, at=start + timedelta(minutes=25)
    )
    service.transition_order(
        session, order_id=orders[4].id, action="cancel", reason="客户撤销", at=start + timedelta(hours=4)
    )
    for action in ("callback_unsatisfied", "resolve"):
        service.transition_order(
            session,
            order_id=orders[1].id,
            action=action,
            resolution_code="answered",
            actor_id=operator.callback_seat.id if action.startswith("callback") else None,
            at=start + timedelta(hours=2 if action == "resolve" else 1, minutes=30),
        )
    at = start + timedelta(hours=hours_after)
    sweep_due_clocks(session, at=at)
    session.flush()
    raw = _raw(session)
    assert any(r.kind == "extraction" for r in raw) and any(r.kind == "installation" for r in raw)
    assert any(r.credited_team_id not in (None, r.order_team_id) for r in raw)  # the transferred one
    for period in kpis.periods(at, "Asia/Shanghai"):
        expected = kpis.tally(raw, start=period.start, end=period.end, at=at)
        got = kpis.timeliness(session, start=period.start, end=period.end, at=at, regions=None)
        assert got == expected
    month = kpis.periods(at, "Asia/Shanghai")[1]
    tallies = kpis.timeliness(session, start=month.start, end=month.end, at=at, regions=None)
    assert kpis.total(tallies).settled >= 1 and kpis.stage_rates(tallies)["first_contact"].settled >= 2
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
