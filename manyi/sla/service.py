"""SLA clocks: start them for a new order, pause, resume, meet, re-open, recompute. Flush only."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.calendars.service import get_calendar
from manyi.core.clock import ensure_aware, now
from manyi.core.errors import ValidationFailed
from manyi.core.fastsql import FastInsert
from manyi.orders.history import EVENT_INSERT, event_row, record_event
from manyi.orders.lifecycle import PAUSED, TERMINAL
from manyi.orders.models import WorkOrder
from manyi.sla.deadlines import carry_past_pause, finished_pauses, plan, replay
from manyi.sla.models import SlaClock, SlaPolicy, SlaTarget
from manyi.sla.policies import OrderLike, PolicyData, TargetData, calendar_for, choose_policy, policy_data
from manyi.sla.rules import STARTS_WHEN_HANDED_ON, clock_met, clock_starts, settle

RECOMPUTED = "sla_recomputed"  # the history action of a due instant a recompute moved


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
    times = plan(cal, at, target.amount, target.unit, policy.warning_share)
    return {
        "kind": target.kind,
        "policy_id": policy.id,
        "calendar_name": cal.name,
        "amount": target.amount,
        "unit": target.unit,
        "warning_share": policy.warning_share,
        "state": "running",
        "started_at": at,
        "budget_seconds": times.budget_seconds,
        "due_at": times.due_at,
        "warn_at": times.warn_at,
        "next_check_at": times.warn_at,  # the first thing the worker does for it: warn
        "provisional": times.provisional,
        "pauses": [],
        "breached": False,
        "escalation_level": 0,
        "settled_at": None,
        "settled_on_time": None,
        "credited_team_id": None,
    }


@dataclass(frozen=True)
class ClockPlan:
    """The clocks a new order starts: its policy (None: no policy matches) and one row per clock."""

    policy_id: int | None
    rows: list[dict[str, Any]]

    @property
    def provisional(self) -> bool:
        """Some deadline lies past the calendar's holiday data (recomputed once it is loaded)."""
        return any(c["provisional"] for c in self.rows)


def plan_clocks(session: Session, *, order: OrderLike, at: datetime) -> ClockPlan:
    """One clock per target of the policy that matches the order (which may not exist yet), but for
    the targets that start later (rules.STARTS_WHEN_HANDED_ON)."""
    policy = choose_policy(session, order=order)
    if policy is None:
        return ClockPlan(None, [])
    cal = get_calendar(session, name=calendar_for(session, order=order, policy=policy))
    rows = [
        _plan_clock(policy=policy, target=t, cal=cal, at=at)
        for t in policy.targets
        if t.kind not in STARTS_WHEN_HANDED_ON
    ]
    return ClockPlan(policy.id, rows)


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
    clock.due_at, provisional = carry_past_pause(cal, clock.due_at, clock.unit, paused_from, at)
    if clock.warned_at is None:
        clock.warn_at, _ = carry_past_pause(cal, clock.warn_at, clock.unit, paused_from, at)
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
    (status, stage); return True when it re-opened. Shared with the bulk writer (manyi.bulk.writer),
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


def order_flags(clocks: Iterable[SlaClock]) -> tuple[bool, bool]:
    """An order's summary of its clocks: (provisional, breached)."""
    clocks = list(clocks)
    return any(c.provisional for c in clocks if c.state != "stopped"), any(c.breached for c in clocks)


def _settle_if_overdue(clock: SlaClock, at: datetime, team_id: int | None) -> None:
    """A running clock stopped or paused after its deadline passed unseen (the sweep had not come
    by) was late all the same: its outcome is recorded before the deadline can move or stop."""
    if clock.state == "running" and clock.due_at <= at:
        settle(clock, at=clock.due_at, on_time=False, team_id=team_id)


def refresh_order_flags(order: WorkOrder, clocks: list[SlaClock]) -> None:
    """Keep the order's summary of its clocks (for indexed lists) in step with the clocks."""
    order.sla_provisional, order.sla_breached = order_flags(clocks)


def _refresh_orders(session: Session, order_ids: set[int]) -> None:
    """Bring the flags of these orders in step with their clocks. A plain UPDATE of the orders whose
    flags differ, as the worker's sweep does: a summary of the clocks is not an edit of the order, so
    it neither bumps the order's version (an agent's ETag stays valid) nor writes an unchanged row."""
    ordered = sorted(order_ids)
    for first in range(0, len(ordered), 1000):  # bound the IN lists (a schedule reload may reach many)
        chunk = ordered[first : first + 1000]
        by_order: dict[int, list[SlaClock]] = {}
        for clock in session.scalars(select(SlaClock).where(SlaClock.order_id.in_(chunk))):
            by_order.setdefault(clock.order_id, []).append(clock)
        stored = session.execute(
            select(WorkOrder.id, WorkOrder.sla_provisional, WorkOrder.sla_breached).where(
                WorkOrder.id.in_(chunk)
            )
        )
        for order_id, provisional, breached in stored.all():
            flags = order_flags(by_order.get(order_id, []))
            if flags != (provisional, breached):
                session.execute(
                    update(WorkOrder)
                    .where(WorkOrder.id == order_id)
                    .values(sla_provisional=flags[0], sla_breached=flags[1])
                )


def _recompute(
    cal: WorkingCalendar, clock: SlaClock, *, amount: float, unit: str, warning_share: float, at: datetime
) -> bool:
    """Recompute an open clock from its start, as if it had always had this limit and calendar data;
    write only the values that differ and return whether any did."""
    times = replay(
        cal,
        started_at=clock.started_at,
        amount=amount,
        unit=unit,
        warning_share=warning_share,
        pauses=finished_pauses(clock.pauses),
    )
    values: dict[str, Any] = {
        "amount": amount,
        "unit": unit,
        "warning_share": warning_share,
        "budget_seconds": times.budget_seconds,
        "due_at": times.due_at,
        "provisional": times.provisional,
    }
    if clock.warned_at is None:  # a warning already sent is not taken back
        values["warn_at"] = times.warn_at
    if clock.breached and times.due_at > at:
        values["breached"], values["breached_at"] = False, None
    if clock.settled_on_time is False and times.due_at > at:
        # No longer late: the outcome is decided again when the clock is met or falls due.
        values["settled_at"] = values["settled_on_time"] = values["credited_team_id"] = None
    changed = {name: value for name, value in values.items() if getattr(clock, name) != value}
    for name, value in changed.items():
        setattr(clock, name, value)
    if changed:
        _schedule(clock)
    return bool(changed)


@dataclass(frozen=True)
class Recomputed:
    """What a recompute did: clocks looked at, and deadlines that moved (each one a history event)."""

    checked: int
    moved: int


def recompute_clocks(
    session: Session,
    *,
    clocks: list[SlaClock],
    why: Mapping[str, str],
    at: datetime | None = None,
    actor_id: int | None = None,
    limits: Mapping[int, tuple[float, str, float]] | None = None,
) -> Recomputed:
    """Recompute open clocks from their start on today's calendar data, and with `limits` (clock id ->
    amount, unit, warning share) a policy's new limits. A clock whose instants do not change is not
    written; every due instant that moves is an event on its order (action sla_recomputed) with the
    old and new instant, saying why (`why`, e.g. {"change": "override", "calendar": "office", ...})."""
    at = ensure_aware(at or now(), field="at")
    calendars: dict[str, WorkingCalendar] = {}
    events: list[dict[str, Any]] = []
    written: set[int] = set()
    for clock in clocks:
        cal = calendars.get(clock.calendar_name)
        if cal is None:
            cal = calendars[clock.calendar_name] = get_calendar(session, name=clock.calendar_name)
        amount, unit, share = (limits or {}).get(clock.id, (clock.amount, clock.unit, clock.warning_share))
        before = clock.due_at
        if not _recompute(cal, clock, amount=amount, unit=unit, warning_share=share, at=at):
            continue
        written.add(clock.order_id)
        if clock.due_at != before:
            note = json.dumps({"clock": clock.kind, **why}, ensure_ascii=False)
            changes = {"due_at": (before, clock.due_at)}
            events.append(
                event_row(
                    order_id=clock.order_id,
                    action=RECOMPUTED,
                    at=at,
                    actor_id=actor_id,
                    changes=changes,
                    note=note,
                )
            )
    session.flush()
    if events:
        EVENT_INSERT.execute(session, events)
    _refresh_orders(session, written)
    session.flush()
    return Recomputed(checked=len(clocks), moved=len(events))


def recompute_policy_clocks(
    session: Session, *, policy_id: int, at: datetime | None = None, actor_id: int | None = None
) -> int:
    """After a policy's targets changed, recompute its open clocks from their start; return how many."""
    at = ensure_aware(at or now(), field="at")
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise ValidationFailed(f"policy: unknown SLA policy id {policy_id}", field="policy")
    targets = {t.kind: t for t in session.scalars(select(SlaTarget).where(SlaTarget.policy_id == policy_id))}
    clocks = list(
        session.scalars(
            select(SlaClock).where(SlaClock.policy_id == policy_id, SlaClock.state.in_(("running", "paused")))
        )
    )
    kept: list[SlaClock] = []
    limits: dict[int, tuple[float, str, float]] = {}
    for clock in clocks:
        target = targets.get(clock.kind)
        if target is None:
            clock.state = "stopped"
            _schedule(clock)
            continue
        kept.append(clock)
        limits[clock.id] = (target.amount, target.unit, policy.warning_share)
    why = {"change": "policy", "policy": policy.name}
    recompute_clocks(session, clocks=kept, why=why, at=at, actor_id=actor_id, limits=limits)
    _refresh_orders(session, {c.order_id for c in clocks if c.state == "stopped"})
    session.flush()
    return len(kept)
