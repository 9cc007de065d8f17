"""SLA clocks: start them for a new order, pause, resume, meet, re-open, recompute. Flush only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.calendars.service import get_calendar
from manyi.core.clock import ensure_aware, now
from manyi.core.errors import ValidationFailed
from manyi.core.fastsql import FastInsert
from manyi.orders.history import record_event
from manyi.orders.lifecycle import PAUSED, TERMINAL
from manyi.orders.models import WorkOrder
from manyi.sla.models import SlaClock, SlaPolicy, SlaTarget
from manyi.sla.policies import OrderLike, PolicyData, TargetData, calendar_for, choose_policy, policy_data
from manyi.sla.rules import STARTS_WHEN_HANDED_ON, clock_met, clock_starts, settle

WORKING_UNITS = ("working_hours", "working_days")


def _budget(cal: WorkingCalendar, start: datetime, due: datetime, unit: str) -> int:
    if unit in WORKING_UNITS:
        return cal.working_seconds_between(start, due)
    return int((due - start).total_seconds())


def _advance(cal: WorkingCalendar, start: datetime, seconds: float, unit: str) -> tuple[datetime, bool]:
    if unit in WORKING_UNITS:
        d = cal.add_working_seconds(start, max(0.0, seconds))
        return d.due_at, d.provisional
    return start + timedelta(seconds=max(0.0, seconds)), False


def _consumed(cal: WorkingCalendar, clock: SlaClock, until: datetime) -> int:
    """Limit time used up from the clock's start to until, pauses excluded."""
    remaining = _budget(cal, until, clock.due_at, clock.unit)
    return clock.budget_seconds - remaining


def _schedule(clock: SlaClock) -> None:
    """Point next_check_at at the next thing the worker must do for this clock."""
    if clock.state != "running":
        clock.next_check_at = None
    elif clock.warned_at is None:
        clock.next_check_at = clock.warn_at
    elif not clock.breached:
        clock.next_check_at = clock.due_at
    else:
        clock.next_check_at = None if clock.escalation_level >= 3 else clock.next_check_at


def _plan_clock(
    *, policy: PolicyData, target: TargetData, cal: WorkingCalendar, at: datetime
) -> dict[str, Any]:
    """The row of a new running clock (plain values: orders are created far more often than read)."""
    deadline = cal.add(at, target.amount, target.unit)
    budget = _budget(cal, at, deadline.due_at, target.unit)
    warn_at, _ = _advance(cal, at, budget * policy.warning_share, target.unit)
    return {
        "kind": target.kind,
        "policy_id": policy.id,
        "calendar_name": cal.name,
        "amount": target.amount,
        "unit": target.unit,
        "warning_share": policy.warning_share,
        "state": "running",
        "started_at": at,
        "budget_seconds": budget,
        "due_at": deadline.due_at,
        "warn_at": warn_at,
        "next_check_at": warn_at,  # the first thing the worker does for it: warn
        "provisional": deadline.provisional,
        "pauses": [],
        "breached": False,
        "escalation_level": 0,
        "settled_at": None,
        "settled_on_time": None,
        "credited_team_id": None,
    }


def plan_clocks(session: Session, *, order: OrderLike, at: datetime) -> list[dict[str, Any]]:
    """Rows of one clock per target of the policy that matches the order (which may not exist yet),
    but for the targets that start later (rules.STARTS_WHEN_HANDED_ON); sets the order's policy and
    provisional flag."""
    policy = choose_policy(session, order=order)
    if policy is None:
        order.sla_policy_id, order.sla_provisional = None, False
        return []
    cal = get_calendar(session, name=calendar_for(session, order=order, policy=policy))
    clocks = [
        _plan_clock(policy=policy, target=t, cal=cal, at=at)
        for t in policy.targets
        if t.kind not in STARTS_WHEN_HANDED_ON
    ]
    order.sla_policy_id = policy.id
    order.sla_provisional = any(c["provisional"] for c in clocks)
    return clocks


CLOCK_INSERT = FastInsert(
    SlaClock.__table__,  # type: ignore[arg-type]
    ["order_id", *(c.key for c in SlaClock.__table__.columns if c.key not in ("id", "order_id"))],
)


def insert_clocks(session: Session, *, order_id: int, clocks: list[dict[str, Any]]) -> None:
    """Write planned clocks in one statement (manyi.core.fastsql: this runs for every new order)."""
    CLOCK_INSERT.execute(session, [c | {"order_id": order_id} for c in clocks])


def order_clocks(session: Session, *, order_id: int) -> list[SlaClock]:
    return list(session.scalars(select(SlaClock).where(SlaClock.order_id == order_id).order_by(SlaClock.id)))


def _pause(clock: SlaClock, at: datetime) -> None:
    clock.state, clock.paused_at = "paused", at
    _schedule(clock)


def _resume(cal: WorkingCalendar, clock: SlaClock, at: datetime) -> None:
    """Continue from where the clock stopped: the time spent paused does not count."""
    assert clock.paused_at is not None
    paused_from = clock.paused_at
    consumed = _consumed(cal, clock, paused_from)
    clock.due_at, provisional = _advance(cal, at, clock.budget_seconds - consumed, clock.unit)
    if clock.warned_at is None:
        clock.warn_at, _ = _advance(
            cal, at, clock.budget_seconds * clock.warning_share - consumed, clock.unit
        )
    clock.provisional = clock.provisional or provisional
    clock.pauses = [*clock.pauses, [paused_from.isoformat(), at.isoformat()]]
    clock.state, clock.paused_at = "running", None
    _schedule(clock)


def on_order_changed(
    session: Session, *, order: WorkOrder, old_status: str, old_stage: str, at: datetime | None = None
) -> None:
    """Start the clocks this change starts, then move the order's clocks: pause, resume, meet, stop,
    re-open."""
    at = ensure_aware(at or now(), field="at")
    clocks = order_clocks(session, order_id=order.id)
    if _start_clocks(session, order=order, clocks=clocks, old_status=old_status, old_stage=old_stage, at=at):
        clocks = order_clocks(session, order_id=order.id)
    for clock in clocks:
        cal = get_calendar(session, name=clock.calendar_name)
        if move_clock(
            cal,
            clock,
            status=order.status,
            stage=order.stage,
            old_status=old_status,
            at=at,
            team_id=order.team_id,
        ):
            record_event(session, order=order, action="sla_reopened", at=at, actor_id=None, note=clock.kind)
    refresh_order_flags(order, clocks)
    session.flush()


def _start_clocks(
    session: Session,
    *,
    order: WorkOrder,
    clocks: list[SlaClock],
    old_status: str,
    old_stage: str,
    at: datetime,
) -> bool:
    """Insert the clocks of the order's policy that this change starts (the installation task once
    the back office hands the order on); return whether there were any. They run on the calendar
    of the order's other clocks, chosen when it was accepted."""
    policy = policy_data(session, policy_id=order.sla_policy_id) if order.sla_policy_id else None
    if policy is None:
        return False
    have = {c.kind for c in clocks}
    targets = [
        t
        for t in policy.targets
        if t.kind not in have
        and clock_starts(
            t.kind, old_status=old_status, old_stage=old_stage, status=order.status, stage=order.stage
        )
    ]
    if not targets:
        return False
    # (A policy with no clock from acceptance has no calendar on record: the order's as of now.)
    name = clocks[0].calendar_name if clocks else calendar_for(session, order=order, policy=policy)
    cal = get_calendar(session, name=name)
    insert_clocks(
        session,
        order_id=order.id,
        clocks=[_plan_clock(policy=policy, target=t, cal=cal, at=at) for t in targets],
    )
    return True


def move_clock(
    cal: WorkingCalendar,
    clock: SlaClock,
    *,
    status: str,
    stage: str,
    old_status: str,
    at: datetime,
    team_id: int | None,
) -> bool:
    """Move one clock (on its calendar) after its order, now with team_id, went from old_status to
    (status, stage); return True when it re-opened. Shared with the bulk writer (manyi.orders.bulk),
    so both apply the same pause, resume, met, settle and re-open rules."""
    if (
        clock.state == "met"
        and clock.kind == "resolution"
        and old_status in ("resolved", "closed")
        and (status not in ("resolved", "closed") and status not in TERMINAL)
    ):
        # Re-opened: the resolution clock runs again; the resolved interval counts as a pause.
        assert clock.met_at is not None
        clock.paused_at, clock.met_at, clock.state = clock.met_at, None, "paused"
        _resume(cal, clock, at)
        return True
    if clock.state in ("met", "stopped"):
        return False
    if clock_met(clock.kind, status, stage):
        if clock.state == "paused":
            _resume(cal, clock, at)
        clock.state, clock.met_at = "met", at
        clock.breached = clock.breached or at > clock.due_at
        # Late: decided when the deadline passed (if the sweep has not recorded it already).
        late = clock.breached
        settle(clock, at=min(at, clock.due_at) if late else at, on_time=not late, team_id=team_id)
        _schedule(clock)
    elif status in TERMINAL:
        _settle_if_overdue(clock, at, team_id)
        clock.state = "stopped"
        _schedule(clock)
    elif status in PAUSED and clock.state == "running":
        _settle_if_overdue(clock, at, team_id)
        _pause(clock, at)
    elif status not in PAUSED and clock.state == "paused":
        _resume(cal, clock, at)
    return False


def _settle_if_overdue(clock: SlaClock, at: datetime, team_id: int | None) -> None:
    """A running clock stopped or paused after its deadline passed unseen (the sweep had not come
    by) was late all the same: its outcome is recorded before the deadline can move or stop."""
    if clock.state == "running" and clock.due_at <= at:
        settle(clock, at=clock.due_at, on_time=False, team_id=team_id)


def refresh_order_flags(order: WorkOrder, clocks: list[SlaClock]) -> None:
    """Keep the order's summary of its clocks (for indexed lists) in step with the clocks."""
    order.sla_provisional = any(c.provisional for c in clocks if c.state != "stopped")
    order.sla_breached = any(c.breached for c in clocks)


def _refresh_orders(session: Session, order_ids: set[int]) -> None:
    for order in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids))) if order_ids else []:
        refresh_order_flags(order, order_clocks(session, order_id=order.id))


def _recompute(
    session: Session, clock: SlaClock, *, amount: float, unit: str, warning_share: float, at: datetime
) -> None:
    """Recompute a clock's deadline from its start, as if it had always had this limit and calendar data."""
    cal = get_calendar(session, name=clock.calendar_name)
    fresh = cal.add(clock.started_at, amount, unit)
    budget = _budget(cal, clock.started_at, fresh.due_at, unit)
    # Shift the new deadline by the pauses already taken, as the running clock would have.
    paused = sum(
        _budget(cal, datetime.fromisoformat(a), datetime.fromisoformat(b), unit) for a, b in clock.pauses
    )
    clock.amount, clock.unit, clock.budget_seconds, clock.warning_share = amount, unit, budget, warning_share
    if clock.state == "paused" and clock.paused_at is not None:
        consumed_to_pause = _budget(cal, clock.started_at, clock.paused_at, unit) - paused
        clock.due_at, provisional = _advance(cal, clock.paused_at, budget - consumed_to_pause, unit)
    else:
        clock.due_at, provisional = _advance(cal, clock.started_at, budget + paused, unit)
    if clock.warned_at is None:
        clock.warn_at, _ = _advance(cal, clock.started_at, budget * warning_share + paused, unit)
    clock.provisional = fresh.provisional or provisional
    if clock.breached and clock.due_at > at:
        clock.breached, clock.breached_at = False, None
    if clock.settled_on_time is False and clock.due_at > at:
        # No longer late: the outcome is decided again when the clock is met or falls due.
        clock.settled_at = clock.settled_on_time = clock.credited_team_id = None
    _schedule(clock)


def recompute_policy_clocks(session: Session, *, policy_id: int, at: datetime | None = None) -> int:
    """After a policy's targets changed, recompute its open clocks from their start; return how many."""
    at = ensure_aware(at or now(), field="at")
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise ValidationFailed(f"policy: unknown SLA policy id {policy_id}", field="policy")
    targets = {t.kind: t for t in session.scalars(select(SlaTarget).where(SlaTarget.policy_id == policy_id))}
    count = 0
    clocks = list(
        session.scalars(
            select(SlaClock).where(SlaClock.policy_id == policy_id, SlaClock.state.in_(("running", "paused")))
        )
    )
    for clock in clocks:
        target = targets.get(clock.kind)
        if target is None:
            clock.state = "stopped"
            _schedule(clock)
            continue
        _recompute(
            session, clock, amount=target.amount, unit=target.unit, warning_share=policy.warning_share, at=at
        )
        count += 1
    _refresh_orders(session, {c.order_id for c in clocks})
    session.flush()
    return count


def recompute_provisional_clocks(session: Session, *, at: datetime | None = None) -> int:
    """Once a year's schedule is loaded, recompute every open clock computed on weekdays only."""
    at = ensure_aware(at or now(), field="at")
    clocks = list(
        session.scalars(
            select(SlaClock).where(SlaClock.provisional.is_(True), SlaClock.state.in_(("running", "paused")))
        )
    )
    for clock in clocks:
        _recompute(
            session, clock, amount=clock.amount, unit=clock.unit, warning_share=clock.warning_share, at=at
        )
    _refresh_orders(session, {c.order_id for c in clocks})
    session.flush()
    return len(clocks)


def recompute_clocks_crossing(
    session: Session,
    *,
    first_day: date,
    last_day: date,
    calendar_name: str | None = None,
    at: datetime | None = None,
) -> int:
    """After working time changed on these dates (an override of one calendar, a reloaded national
    schedule for all), recompute the open clocks that can cross them; return how many."""
    at = ensure_aware(at or now(), field="at")
    if calendar_name is not None:
        zone: Any = get_calendar(session, name=calendar_name).zone
        margin = timedelta(0)
    else:  # every calendar, each in its own zone: a day either side covers any offset
        zone, margin = UTC, timedelta(days=1)
    begin = datetime.combine(first_day, time(0), zone) - margin
    end = datetime.combine(last_day + timedelta(days=1), time(0), zone) + margin
    # A clock started after the dates, or already due before them, does not cross them; a paused
    # clock's due instant is not final, so it is recomputed whenever it started before their end.
    query = select(SlaClock).where(
        SlaClock.state.in_(("running", "paused")),
        SlaClock.started_at < end,
        or_(SlaClock.due_at >= begin, SlaClock.state == "paused"),
    )
    if calendar_name is not None:
        query = query.where(SlaClock.calendar_name == calendar_name)
    clocks = list(session.scalars(query))
    for clock in clocks:
        _recompute(
            session, clock, amount=clock.amount, unit=clock.unit, warning_share=clock.warning_share, at=at
        )
    _refresh_orders(session, {c.order_id for c in clocks})
    session.flush()
    return len(clocks)
