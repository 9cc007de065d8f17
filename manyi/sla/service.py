"""SLA clocks: start them for a new order, pause, resume, meet, re-open, recompute. Flush only."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.calendars.service import get_calendar
from manyi.core.clock import ensure_aware, now
from manyi.core.errors import ValidationFailed
from manyi.core.settings import get_settings
from manyi.customers.models import Customer
from manyi.orders.history import record_event
from manyi.orders.lifecycle import PAUSED, TERMINAL
from manyi.orders.models import Category, WorkOrder
from manyi.org.models import Region, Team
from manyi.sla.models import TARGET_KINDS, SlaClock, SlaPolicy, SlaTarget
from manyi.sla.rules import OrderFacts, clock_met, policy_matches

WORKING_UNITS = ("working_hours", "working_days")


def _facts(session: Session, order: WorkOrder) -> OrderFacts:
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    category = session.get(Category, order.category_id) if order.category_id else None
    chain: list[str] = []
    code: str | None = order.region_code
    while code and code not in chain:
        chain.append(code)
        region = session.get(Region, code)
        code = region.parent_code if region else None
    return OrderFacts(
        order_type=order.type,
        category_path=category.path if category else None,
        product=order.product,
        brand=customer.brand if customer else None,
        vip_level=customer.vip_level if customer else None,
        priority=order.priority,
        channel=order.channel,
        region_codes=tuple(chain),
    )


def choose_policy(session: Session, *, order: WorkOrder) -> SlaPolicy | None:
    """Return the lowest-ranked active policy that matches the order."""
    facts = _facts(session, order)
    for policy in session.scalars(
        select(SlaPolicy).where(SlaPolicy.active.is_(True)).order_by(SlaPolicy.rank, SlaPolicy.id)
    ):
        if policy_matches(policy, facts):
            return policy
    return None


def calendar_for(session: Session, *, order: WorkOrder, policy: SlaPolicy) -> str:
    """The policy's calendar, else the team's, else the region's, else the configured default."""
    if policy.calendar_name:
        return policy.calendar_name
    if order.team_id:
        team = session.get(Team, order.team_id)
        if team and team.calendar_name:
            return team.calendar_name
    region = session.get(Region, order.region_code)
    if region and region.calendar_name:
        return region.calendar_name
    return get_settings().default_calendar


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


def _start_clock(
    *, order: WorkOrder, policy: SlaPolicy, target: SlaTarget, cal: WorkingCalendar, at: datetime
) -> SlaClock:
    calendar_name = cal.name
    deadline = cal.add(at, target.amount, target.unit)
    budget = _budget(cal, at, deadline.due_at, target.unit)
    warn_at, _ = _advance(cal, at, budget * policy.warning_share, target.unit)
    clock = SlaClock(
        order_id=order.id,
        kind=target.kind,
        policy_id=policy.id,
        calendar_name=calendar_name,
        amount=target.amount,
        unit=target.unit,
        warning_share=policy.warning_share,
        state="running",
        started_at=at,
        budget_seconds=budget,
        due_at=deadline.due_at,
        warn_at=warn_at,
        provisional=deadline.provisional,
        pauses=[],
    )
    _schedule(clock)
    return clock


def start_clocks(session: Session, *, order: WorkOrder, at: datetime | None = None) -> list[SlaClock]:
    """Start one clock per target of the policy that matches a new order."""
    at = ensure_aware(at or order.created_at or now(), field="at")
    policy = choose_policy(session, order=order)
    if policy is None:
        return []
    cal = get_calendar(session, name=calendar_for(session, order=order, policy=policy))
    targets = session.scalars(
        select(SlaTarget).where(SlaTarget.policy_id == policy.id).order_by(SlaTarget.id)
    )
    clocks = [_start_clock(order=order, policy=policy, target=t, cal=cal, at=at) for t in targets]
    session.add_all(clocks)
    order.sla_policy_id = policy.id
    order.sla_provisional = any(c.provisional for c in clocks)
    session.flush()
    return clocks


def order_clocks(session: Session, *, order_id: int) -> list[SlaClock]:
    return list(session.scalars(select(SlaClock).where(SlaClock.order_id == order_id).order_by(SlaClock.id)))


def _pause(clock: SlaClock, at: datetime) -> None:
    clock.state, clock.paused_at = "paused", at
    _schedule(clock)


def _resume(session: Session, clock: SlaClock, at: datetime) -> None:
    """Continue from where the clock stopped: the time spent paused does not count."""
    assert clock.paused_at is not None
    cal = get_calendar(session, name=clock.calendar_name)
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
    """Move the order's clocks after a status or stage change: pause, resume, meet, stop, re-open."""
    at = ensure_aware(at or now(), field="at")
    for clock in order_clocks(session, order_id=order.id):
        if (
            clock.state == "met"
            and clock.kind == "resolution"
            and old_status in ("resolved", "closed")
            and (order.status not in ("resolved", "closed") and order.status not in TERMINAL)
        ):
            # Re-opened: the resolution clock runs again; the resolved interval counts as a pause.
            assert clock.met_at is not None
            clock.paused_at, clock.met_at, clock.state = clock.met_at, None, "paused"
            _resume(session, clock, at)
            record_event(session, order=order, action="sla_reopened", at=at, actor_id=None, note=clock.kind)
            continue
        if clock.state in ("met", "stopped"):
            continue
        if clock_met(clock.kind, order.status, order.stage):
            if clock.state == "paused":
                _resume(session, clock, at)
            clock.state, clock.met_at = "met", at
            clock.breached = clock.breached or at > clock.due_at
            _schedule(clock)
        elif order.status in TERMINAL:
            clock.state = "stopped"
            _schedule(clock)
        elif order.status in PAUSED and clock.state == "running":
            _pause(clock, at)
        elif order.status not in PAUSED and clock.state == "paused":
            _resume(session, clock, at)
    order.sla_provisional = any(
        c.provisional for c in order_clocks(session, order_id=order.id) if c.state != "stopped"
    )
    session.flush()


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
    _schedule(clock)


def recompute_policy_clocks(session: Session, *, policy_id: int, at: datetime | None = None) -> int:
    """After a policy's targets changed, recompute its open clocks from their start; return how many."""
    at = ensure_aware(at or now(), field="at")
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise ValidationFailed(f"policy: unknown SLA policy id {policy_id}", field="policy")
    targets = {t.kind: t for t in session.scalars(select(SlaTarget).where(SlaTarget.policy_id == policy_id))}
    count = 0
    for clock in session.scalars(
        select(SlaClock).where(SlaClock.policy_id == policy_id, SlaClock.state.in_(("running", "paused")))
    ):
        target = targets.get(clock.kind)
        if target is None:
            clock.state = "stopped"
            _schedule(clock)
            continue
        _recompute(
            session, clock, amount=target.amount, unit=target.unit, warning_share=policy.warning_share, at=at
        )
        count += 1
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
    order_ids = {c.order_id for c in clocks}
    for order in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids))) if order_ids else []:
        order.sla_provisional = any(
            c.provisional for c in order_clocks(session, order_id=order.id) if c.state != "stopped"
        )
    session.flush()
    return len(clocks)


DEFAULT_POLICIES: list[tuple[str, int, list[str], list[tuple[str, float, str]]]] = [
    # name, rank, order types, [(target kind, amount, unit)] -- DOMAIN.md's limits
    (
        "投诉 complaint",
        100,
        ["complaint"],
        [
            ("first_contact", 2, "working_hours"),
            ("response", 2, "working_days"),
            ("resolution", 15, "natural_days"),
        ],
    ),
    (
        "故障 fault",
        100,
        ["fault"],
        [
            ("first_contact", 2, "working_hours"),
            ("appointment", 24, "natural_hours"),
            ("resolution", 3, "working_days"),
        ],
    ),
    (
        "装机 install",
        100,
        ["install"],
        [
            ("first_contact", 2, "working_hours"),
            ("appointment", 24, "natural_hours"),
            ("resolution", 3, "working_days"),
        ],
    ),
    (
        "拆移机 remove/move",
        100,
        ["remove", "move"],
        [
            ("first_contact", 2, "working_hours"),
            ("appointment", 24, "natural_hours"),
            ("resolution", 3, "working_days"),
        ],
    ),
    (
        "变更与咨询 change/inquiry",
        100,
        ["change", "inquiry"],
        [("first_contact", 2, "working_hours"), ("resolution", 1, "working_days")],
    ),
    ("回访与关怀 callback/care", 100, ["callback", "proactiveCare"], [("resolution", 2, "working_days")]),
]


def seed_default_policies(session: Session) -> None:
    """Create the default policies from DOMAIN.md when absent (idempotent)."""
    for name, rank, types, targets in DEFAULT_POLICIES:
        if session.scalars(select(SlaPolicy).where(SlaPolicy.name == name)).first():
            continue
        policy = SlaPolicy(
            name=name, rank=rank, order_types=types, warning_share=get_settings().sla_warning_share
        )
        session.add(policy)
        session.flush()
        session.add_all(SlaTarget(policy_id=policy.id, kind=k, amount=a, unit=u) for k, a, u in targets)
    session.flush()


def check_target(kind: str, unit: str, amount: float) -> None:
    if kind not in TARGET_KINDS:
        raise ValidationFailed(f"kind: expected one of {', '.join(TARGET_KINDS)}, got {kind!r}", field="kind")
    if amount <= 0:
        raise ValidationFailed(f"amount: expected a positive number, got {amount}", field="amount")
