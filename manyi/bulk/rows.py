"""The rows a batch of checked order specs becomes: work_orders, sla_clocks, order_events. No I/O.

Each row holds what the services would have stored after create_order and one service call per step
(manyi.orders.service), and, given `now`, after the worker's sweeps up to then (manyi.sla.tasks).
Instants are epoch microseconds here (bulk_io.NULL_TIME for none); bulk_io turns them into text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from manyi.bulk.clocks import PlannedGroup, Rung, climb_ladder, from_us, to_us
from manyi.bulk.paths import ClockState, Path, PathStep, Program, Starts, change_item, change_list
from manyi.bulk.sink import NULL_TIME, Columns
from manyi.calendars.arithmetic import WorkingCalendar
from manyi.orders.closed_loop import step_outcome
from manyi.orders.models import OrderCallback, OrderContact, OrderEvent, WorkOrder
from manyi.sla.escalation import Rung as LadderRung
from manyi.sla.escalation import step_detail
from manyi.sla.models import SlaClock
from manyi.sla.policies import PolicyData
from manyi.sla.rules import settle
from manyi.sla.service import move_clock, refresh_order_flags


class Step(NamedTuple):
    """One thing that happened to an order: a lifecycle action, or `assign` / `transfer`."""

    action: str
    at: datetime
    actor_id: int | None = None
    reason: str | None = None  # pause, hold (required), any action (kept as the event's note)
    resolution_code: str | None = None  # resolve (required)
    resolution: str | None = None
    appointment_at: datetime | None = None  # appoint (required)
    assignee_id: int | None = None  # assign (required)
    team_id: int | None = None  # transfer (required)
    # contact / contact_failed: reached, not_reached, wrong_number; callback_ok: satisfied,
    # basically_satisfied, unreachable (manyi.orders.closed_loop; None: the action's default)
    outcome: str | None = None


class OrderSpec(NamedTuple):
    """A customer request as create_order takes it, with everything that happened to it since."""

    type: str
    description: str
    channel: str
    region_code: str
    created_at: datetime
    category_code: str | None = None
    customer_id: int | None = None
    subscription_id: int | None = None
    priority: int = 3
    severity: str = "minor"
    title: str | None = None
    actor_id: int | None = None
    steps: tuple[Step, ...] = ()


ORDER_COLUMNS = (
    "id", "number", "type", "category_id", "channel", "priority", "severity", "status", "stage",
    "stage_before_pause", "title", "description", "customer_id", "subscription_id", "product",
    "region_code", "owner_id", "assignee_id", "team_id", "created_by_id", "parent_id", "external_id",
    "idempotency_key", "resolution_code", "resolution", "reopen_count", "contact_attempts",
    "appointment_at", "sla_policy_id", "sla_provisional", "created_at", "updated_at", "resolved_at",
    "closed_at", "sla_breached", "deleted_at", "note_count", "attachment_count", "link_count", "version",
    "region_pending",
)  # fmt: skip
ORDER_INSTANTS = ("appointment_at", "created_at", "updated_at", "resolved_at", "closed_at", "deleted_at")
CLOCK_COLUMNS = (
    "order_id", "kind", "policy_id", "calendar_name", "amount", "unit", "warning_share", "state",
    "started_at", "budget_seconds", "due_at", "warn_at", "paused_at", "pauses", "met_at", "breached",
    "breached_at", "warned_at", "provisional", "escalation_level", "next_check_at", "settled_at",
    "settled_on_time", "credited_team_id",
)  # fmt: skip
CLOCK_INSTANTS = (
    "started_at",
    "due_at",
    "warn_at",
    "paused_at",
    "met_at",
    "breached_at",
    "warned_at",
    "next_check_at",
    "settled_at",
)
EVENT_COLUMNS = ("order_id", "at", "actor_id", "action", "changes", "note")
EVENT_INSTANTS = ("at",)
CONTACT_COLUMNS = ("order_id", "at", "actor_id", "outcome", "note")
CALLBACK_COLUMNS = ("order_id", "at", "actor_id", "result", "note")


@dataclass(slots=True)
class Resolved:
    """A checked spec with what routing, policy choice and the compiled lifecycle decided for it."""

    spec: OrderSpec
    path: Path
    times: list[int]  # created_at, then each step's instant (epoch microseconds)
    category_id: int | None
    product: str | None
    team_id: int | None
    policy: PolicyData | None
    calendar: WorkingCalendar | None
    program: Program | None  # how its clocks end, when they only run to met or stopped
    starts: Starts  # when each of its policy's clocks starts (bulk_paths.start_steps)
    group: PlannedGroup | None = None
    position: int = 0  # in the group


@dataclass(slots=True)
class Fired:
    """A ladder step the sweep fired, for its outbox message (written once the clock has an id)."""

    order_id: int
    number: str
    team_id: int | None
    assignee_id: int | None
    owner_id: int | None
    region_code: str
    clock_position: int
    kind: str
    due_at: int
    step: str
    role: str


class _Flags:
    """The order's SLA summary columns, for refresh_order_flags."""

    __slots__ = ("sla_provisional", "sla_breached")

    def __init__(self, provisional: bool) -> None:
        self.sla_provisional, self.sla_breached = provisional, False


_ITEMS: dict[tuple[str, Any, Any], str] = {}


def item(field: str, before: Any, after: Any) -> str:
    """change_item, remembered: codes, assignees and teams take few values (json.dumps is slow)."""
    key = (field, before, after)
    text = _ITEMS.get(key)
    if text is None:
        text = change_item(field, before, after)
        if len(_ITEMS) < 100_000:
            _ITEMS[key] = text
    return text


def appointment_item(before: int, after: int) -> str:
    """change_item("appointment_at", ...) of UTC isoformat texts, which json.dumps leaves as they are."""
    old = "null" if before == NULL_TIME else f'"{from_us(before).isoformat()}"'
    return f'{{"field": "appointment_at", "before": {old}, "after": "{from_us(after).isoformat()}"}}'


_CREATED: dict[int | None, str] = {}


def created_changes(team_id: int | None) -> str:
    text = _CREATED.get(team_id)
    if text is None:
        items = [change_item("status", None, "acknowledged"), change_item("stage", None, "accepted")]
        if team_id is not None:
            items.append(change_item("team_id", None, team_id))
        text = _CREATED[team_id] = change_list(items)
    return text


class Built(NamedTuple):
    orders: Columns
    clocks: Columns
    events: Columns
    contacts: Columns
    callbacks: Columns
    fired: list[Fired]


def new_built() -> Built:
    return Built(
        Columns(WorkOrder.__table__, ORDER_COLUMNS, ORDER_INSTANTS),  # type: ignore[arg-type]
        Columns(SlaClock.__table__, CLOCK_COLUMNS, CLOCK_INSTANTS),  # type: ignore[arg-type]
        Columns(OrderEvent.__table__, EVENT_COLUMNS, EVENT_INSTANTS),  # type: ignore[arg-type]
        Columns(OrderContact.__table__, CONTACT_COLUMNS, ("at",)),  # type: ignore[arg-type]
        Columns(OrderCallback.__table__, CALLBACK_COLUMNS, ("at",)),  # type: ignore[arg-type]
        [],
    )


def outcome_item(step: PathStep, s: Step) -> list[str]:
    """The `changes` entry naming a contact's outcome or a callback's result (as transition_order
    appends it, after the counters), or none."""
    if step.outcome_field is None:
        return []
    return [item(step.outcome_field, None, step_outcome(step.action, s.outcome))]


def loop_rows(items: list[Resolved], ids: list[int], out: Built) -> None:
    """The contact attempts and callbacks the orders' steps recorded (callbacks.record_step)."""
    for r, oid in zip(items, ids, strict=True):
        for j in r.path.records:
            step, s = r.path.steps[j], r.spec.steps[j]
            table = out.contacts if step.outcome_field == "contact_outcome" else out.callbacks
            table.append([oid, r.times[j + 1], s.actor_id, step_outcome(step.action, s.outcome), s.reason])


def one_order(
    r: Resolved, oid: int, number: str, now: int | None, delays: tuple[int, ...], out: Built
) -> None:
    """The rows of one order, its clocks moved step by step with the services' rule (move_clock)."""
    _one(r, oid, number, now, delays, out)


def _one(r: Resolved, oid: int, number: str, now: int | None, delays: tuple[int, ...], out: Built) -> None:
    spec, path, times = r.spec, r.path, r.times
    events = out.events
    created = times[0]
    events.append([oid, created, spec.actor_id, "created", created_changes(r.team_id), None])
    planned = _planned(r) if r.policy is not None else []
    # The clocks running so far, in the order the services insert them: those started when the
    # order was accepted, then each as a later step starts it (on_order_changed).
    clocks = [c for k, c in enumerate(planned) if r.starts[k] == 0]
    # Orders whose clocks pause or re-open are moved with the services' own rule, on datetimes.
    states = [_state(clock) for clock in clocks] if planned and r.program is None else None
    flags = _Flags(any(c.provisional for c in clocks))
    version = 1
    team, assignee = r.team_id, None
    code: str | None = None
    resolution: str | None = None
    appointment = NULL_TIME
    for j, (step, s) in enumerate(zip(path.steps, spec.steps, strict=True)):
        at, before = times[j + 1], times[j]
        if step.transition:
            moved = False
            if step.resolves or step.appoints:
                items = [*step.head]
                if step.resolves:
                    if s.resolution_code != code:
                        items.append(item("resolution_code", code, s.resolution_code))
                    code, resolution = s.resolution_code, s.resolution
                if step.appoints:
                    assert s.appointment_at is not None
                    new = to_us(s.appointment_at)
                    if new != appointment:
                        items.append(appointment_item(appointment, new))
                        moved = True
                    appointment = new
                changes = change_list([*items, *step.tail])
            else:
                changes = change_list([*step.head, *step.tail, *outcome_item(step, s)])
            events.append([oid, at, s.actor_id, step.action, changes, s.reason or s.resolution])
            version += step.certain or moved or at != before
            # on_order_changed: move the clocks, then refresh the order's flags (a second UPDATE,
            # so a second version, when they change).
            flagged = (flags.sla_provisional, flags.sla_breached)
            started = [c for k, c in enumerate(planned) if r.starts[k] == j + 1]
            clocks += started
            if states is not None:
                assert r.calendar is not None
                states += [_state(clock) for clock in started]
                instant = from_us(at)
                for state in states:
                    if move_clock(
                        r.calendar,
                        state.as_clock(),
                        status=step.status,
                        stage=step.stage,
                        old_status=step.old_status,
                        at=instant,
                        team_id=team,
                    ):
                        events.append([oid, at, None, "sla_reopened", "[]", state.kind])
                refresh_order_flags(cast(WorkOrder, flags), cast(Any, states))
            elif started or (r.program and j in r.program):
                for c, end in (r.program or {}).get(j, ()):
                    _end(planned[c], end, at, team)
                refresh_order_flags(cast(WorkOrder, flags), cast(Any, clocks))
            version += flagged != (flags.sla_provisional, flags.sla_breached)
        elif step.action == "assign":
            same = s.assignee_id == assignee
            changes = "[]" if same else change_list([item("assignee_id", assignee, s.assignee_id)])
            events.append([oid, at, s.actor_id, "assigned", changes, None])
            version += not same or at != before
            assignee = s.assignee_id
        else:  # transfer
            items = []
            if s.team_id != team:
                items.append(item("team_id", team, s.team_id))
            if assignee is not None:
                items.append(item("assignee_id", assignee, None))
            events.append([oid, at, s.actor_id, "transfer", change_list(items), s.reason])
            version += bool(items) or at != before
            team, assignee = s.team_id, None
    if states is not None:
        clocks = [_from_state(state, clock) for state, clock in zip(states, clocks, strict=True)]
    if now is not None:
        who = (number, team, assignee, spec.actor_id, spec.region_code)
        _sweep(clocks, oid, who, now, delays, flags, out)
    policy = r.policy
    for clock in clocks:
        out.clocks.append(
            [
                oid, clock.kind, policy.id if policy else None, clock.calendar_name, clock.amount, clock.unit,
                clock.warning_share, clock.state, clock.started_at, clock.budget_seconds, clock.due_at,
                clock.warn_at, _t(clock.paused_at), clock.pauses_json(), _t(clock.met_at), clock.breached,
                _t(clock.breached_at), _t(clock.warned_at), clock.provisional, clock.escalation_level,
                _t(clock.next_check_at), _t(clock.settled_at), clock.settled_on_time, clock.credited_team_id,
            ]
        )  # fmt: skip
    resolved_at = times[path.resolved_step + 1] if path.resolved_step is not None else NULL_TIME
    closed_at = times[path.closed_step + 1] if path.closed_step is not None else NULL_TIME
    out.orders.append(
        [
            oid, number, spec.type, r.category_id, spec.channel, spec.priority, spec.severity, path.status,
            path.stage, path.stage_before_pause, spec.title, spec.description.strip(), spec.customer_id,
            spec.subscription_id, r.product, spec.region_code, spec.actor_id, assignee, team, spec.actor_id,
            None, None, None, code, resolution, path.reopen_count, path.contact_attempts, appointment,
            policy.id if policy else None, flags.sla_provisional, created, times[-1], resolved_at, closed_at,
            flags.sla_breached, NULL_TIME, 0, 0, 0, version, False,
        ]
    )  # fmt: skip


def _sweep(
    clocks: list[_Clock],
    oid: int,
    who: Who,
    now: int,
    delays: tuple[int, ...],
    flags: _Flags,
    out: Built,
) -> None:
    """Climb the ladder of every due clock as the sweep would by `now`."""
    rungs: list[tuple[Rung, int, str, int]] = []
    for position, clock in enumerate(clocks):
        if clock.next_check_at is not None and clock.next_check_at <= now:
            (
                climbed,
                clock.warned_at,
                clock.breached,
                breached_at,
                clock.escalation_level,
                clock.next_check_at,
            ) = climb_ladder(
                due=clock.due_at,
                warned_at=clock.warned_at,
                breached=clock.breached,
                level=clock.escalation_level,
                next_check=clock.next_check_at,
                now=now,
                delays_us=delays,
            )
            if breached_at is not None:
                clock.breached_at = breached_at
                settle(clock, at=breached_at, on_time=False, team_id=who[1])
            rungs.extend((rung, position, clock.kind, clock.due_at) for rung in climbed)
    if emit_rungs(oid, who, now, rungs, out):
        flags.sla_breached = True  # the sweep flags the order with a plain UPDATE: same version


Who = tuple[str, int | None, int | None, int | None, str]  # number, team, assignee, owner, region


def emit_rungs(oid: int, who: Who, now: int, rungs: list[tuple[Rung, int, str, int]], out: Built) -> bool:
    """The history events and outbox records of the steps fired for one order's clocks (rung,
    clock position, kind, due); return whether one was a breach."""
    # Each pass claims the due clocks by next_check_at and fires one step of each.
    rungs.sort(key=lambda x: (x[0].round, x[0].check_at, x[1]))
    for rung, position, kind, due in rungs:
        step = LadderRung(rung.step, rung.role)
        detail = step_detail(kind, step, from_us(due))
        out.events.append([oid, now, None, step.action, "[]", str(detail)])
        out.fired.append(Fired(oid, *who, position, kind, due, rung.step, rung.role))
    return any(rung.step == "breach" for rung, _, _, _ in rungs)


def _t(value: int | None) -> int:
    return NULL_TIME if value is None else value


class _Clock:
    """A clock being built, instants as epoch microseconds."""

    __slots__ = (
        "kind", "calendar_name", "amount", "unit", "warning_share", "state", "started_at", "budget_seconds",
        "due_at", "warn_at", "paused_at", "pauses", "met_at", "breached", "breached_at", "warned_at",
        "provisional", "escalation_level", "next_check_at", "settled_at", "settled_on_time",
        "credited_team_id",
    )  # fmt: skip

    kind: str
    calendar_name: str
    amount: float
    unit: str
    warning_share: float
    state: str
    started_at: int
    budget_seconds: int
    due_at: int
    warn_at: int
    paused_at: int | None
    pauses: list[list[str]]
    met_at: int | None
    breached: bool
    breached_at: int | None
    warned_at: int | None
    provisional: bool
    escalation_level: int
    next_check_at: int | None
    settled_at: int | None
    settled_on_time: bool | None
    credited_team_id: int | None

    def pauses_json(self) -> str:
        return json.dumps(self.pauses) if self.pauses else "[]"


def _planned(r: Resolved) -> list[_Clock]:
    """One clock per target of the order's policy, as plan_clocks (or on_order_changed, for one
    starting later) starts it: running, next check at the warning; started_at 0 for one that never
    starts."""
    assert r.policy is not None and r.group is not None and r.calendar is not None
    clocks = []
    position = r.position
    for k, (target, planned) in enumerate(zip(r.policy.targets, r.group.targets, strict=True)):
        begin = r.starts[k]
        clock = _Clock()
        clock.kind, clock.calendar_name, clock.amount, clock.unit = (
            target.kind,
            r.calendar.name,
            target.amount,
            target.unit,
        )
        clock.warning_share, clock.state = r.policy.warning_share, "running"
        clock.started_at = r.times[begin] if begin is not None else 0
        clock.budget_seconds, clock.due_at = int(planned.budget[position]), int(planned.due_us[position])
        clock.warn_at, clock.provisional = int(planned.warn_us[position]), bool(planned.provisional[position])
        clock.pauses, clock.paused_at, clock.met_at, clock.breached = [], None, None, False
        clock.breached_at, clock.warned_at, clock.escalation_level = None, None, 0
        clock.next_check_at = clock.warn_at
        clock.settled_at = clock.settled_on_time = clock.credited_team_id = None
        clocks.append(clock)
    return clocks


def _end(clock: _Clock, end: str, at: int, team_id: int | None) -> None:
    """What move_clock does to a running clock that its order's step (the order with team_id) meets
    or stops (the fast path; bulk_paths.clock_program found with move_clock itself that nothing else
    happens on the path): met, late if after its deadline; stopped, late if its deadline passed."""
    if end == "met":
        late = at > clock.due_at
        clock.state, clock.met_at, clock.breached = "met", at, late
        settle(clock, at=clock.due_at if late else at, on_time=not late, team_id=team_id)
    else:
        if clock.due_at <= at:
            settle(clock, at=clock.due_at, on_time=False, team_id=team_id)
        clock.state = "stopped"
    clock.next_check_at = None


def _state(clock: _Clock) -> ClockState:
    return ClockState(
        kind=clock.kind,
        calendar_name=clock.calendar_name,
        unit=clock.unit,
        warning_share=clock.warning_share,
        state=clock.state,
        started_at=from_us(clock.started_at),
        budget_seconds=clock.budget_seconds,
        due_at=from_us(clock.due_at),
        warn_at=from_us(clock.warn_at),
        pauses=[],
        breached=False,
        provisional=clock.provisional,
        escalation_level=0,
        next_check_at=from_us(clock.warn_at),
    )


def _from_state(state: ClockState, clock: _Clock) -> _Clock:
    def us(value: datetime | None) -> int | None:
        return None if value is None else to_us(value)

    clock.state, clock.due_at, clock.warn_at = state.state, to_us(state.due_at), to_us(state.warn_at)
    clock.paused_at, clock.met_at, clock.next_check_at = (
        us(state.paused_at),
        us(state.met_at),
        us(state.next_check_at),
    )
    clock.pauses, clock.breached, clock.provisional = state.pauses, state.breached, state.provisional
    clock.settled_at, clock.settled_on_time = us(state.settled_at), state.settled_on_time
    clock.credited_team_id = state.credited_team_id
    return clock
