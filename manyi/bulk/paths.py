"""Lifecycles compiled once for the bulk writer (manyi.bulk.writer).

A bulk load repeats a few dozen action sequences a million times. What a sequence does to an order's
status, stage, counters and history depends on the order type and the actions alone, so it is worked
out once per (type, actions) with the real state machine (manyi.orders.lifecycle) and reused by every
order that took that sequence. The same goes for the clocks: whether a policy's clocks only ever run
to met or stopped on this sequence is found by moving probe clocks with the real rule
(manyi.sla.service.move_clock); sequences that pause or re-open a clock are replayed order by order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.core.errors import ManyiError
from manyi.orders import closed_loop, lifecycle
from manyi.sla.models import SlaClock
from manyi.sla.rules import STARTS_WHEN_HANDED_ON, clock_starts
from manyi.sla.service import move_clock

# Changes of an order that are not state-machine actions (orders.service assign_order/transfer_order).
ORDER_ACTIONS = ("assign", "transfer")


class StepRefused(Exception):
    """A step of a sequence is not allowed where the order is by then."""

    def __init__(self, step: int, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.message = message


def change_item(field: str, before: Any, after: Any) -> str:
    """One entry of an event's `changes`, as json.dumps writes it inside the list."""
    return json.dumps({"field": field, "before": before, "after": after})


def change_list(items: list[str]) -> str:
    """The `changes` JSON text of an event: json.dumps of the list, built from its entries."""
    return "[" + ", ".join(items) + "]"


@dataclass(frozen=True, slots=True)
class PathStep:
    action: str
    transition: bool  # a state-machine action: clocks move and the order's SLA flags are refreshed
    old_status: str
    old_stage: str
    status: str
    stage: str
    # `changes` entries known from the sequence alone: status and stage (before resolution_code and
    # appointment_at, in transition_order's field order), then contact_attempts and reopen_count.
    head: tuple[str, ...]
    tail: tuple[str, ...]
    certain: bool  # the step changes a column whatever its values, so the order's version goes up
    needs_reason: bool
    resolves: bool
    closes: bool
    reopens: bool
    appoints: bool
    loop: bool = False  # closed_loop.check_step has something to check (outcome, actor, reason)
    outcome_field: str | None = None  # the step records a contact attempt or a callback


@dataclass(frozen=True, slots=True)
class Path:
    steps: tuple[PathStep, ...]
    status: str
    stage: str
    stage_before_pause: str | None
    contact_attempts: int
    reopen_count: int
    resolved_step: int | None  # the step whose time is resolved_at at the end (None: not resolved)
    closed_step: int | None
    last_resolve: int | None  # the step whose resolution_code/resolution the order keeps
    last_appoint: int | None
    uncertain: tuple[int, ...]  # steps whose version bump depends on the order's values
    transitions: tuple[int, ...]  # indexes of the state-machine steps
    checks: tuple[tuple[int, str], ...]  # steps whose values the services check, and what they need
    records: tuple[int, ...] = ()  # steps that record a contact attempt or a callback


def compile_path(order_type: str, actions: tuple[str, ...]) -> Path:
    """Walk the actions from a new order with the state machine; raise StepRefused at an illegal one."""
    status, stage = lifecycle.INITIAL
    before_pause: str | None = None
    contacts = reopens = 0
    resolved = closed = last_resolve = last_appoint = None
    steps: list[PathStep] = []
    for index, action in enumerate(actions):
        try:
            if action == "assign":
                if status in lifecycle.TERMINAL:
                    raise StepRefused(index, f"the order is {status}; it cannot be assigned")
                steps.append(_other_step(action, status, stage))
                continue
            if action == "transfer":
                lifecycle.apply(order_type, status, stage, "transfer")
                steps.append(_other_step(action, status, stage))
                continue
            step = lifecycle.apply(order_type, status, stage, action, stage_before_pause=before_pause)
        except ManyiError as error:
            raise StepRefused(index, error.message) from error
        old = (status, stage, before_pause, contacts, reopens)
        if step.status in lifecycle.PAUSED and status not in lifecycle.PAUSED:
            before_pause = stage
        old_status, status, stage = status, step.status, step.stage
        contacts += action in ("contact", "contact_failed")
        if action == "resolve":
            resolved = last_resolve = index
        if status == "closed":
            closed = index
        if lifecycle.is_reopen(action):
            reopens += 1
            resolved = closed = None
        if action == "appoint":
            last_appoint = index
        certain = old != (status, stage, before_pause, contacts, reopens) or action == "resolve"
        head = [
            change_item(f, b, a)
            for f, b, a in (("status", old[0], status), ("stage", old[1], stage))
            if b != a
        ]
        tail = [
            change_item(f, b, a)
            for f, b, a in (("contact_attempts", old[3], contacts), ("reopen_count", old[4], reopens))
            if b != a
        ]
        steps.append(
            PathStep(
                action=action,
                transition=True,
                old_status=old_status,
                old_stage=old[1],
                status=status,
                stage=stage,
                head=tuple(head),
                tail=tuple(tail),
                certain=certain,
                needs_reason=action in ("pause", "hold"),
                resolves=action == "resolve",
                closes=status == "closed",
                reopens=lifecycle.is_reopen(action),
                appoints=action == "appoint",
                loop=closed_loop.checked_by(order_type, action),
                outcome_field=closed_loop.OUTCOME_FIELDS.get(action),
            )
        )
    return Path(
        steps=tuple(steps),
        status=status,
        stage=stage,
        stage_before_pause=before_pause,
        contact_attempts=contacts,
        reopen_count=reopens,
        resolved_step=resolved,
        closed_step=closed,
        last_resolve=last_resolve,
        last_appoint=last_appoint,
        uncertain=tuple(i for i, s in enumerate(steps) if not s.certain),
        transitions=tuple(i for i, s in enumerate(steps) if s.transition),
        checks=tuple((i, c) for i, s in enumerate(steps) if (c := _needs(s))),
        records=tuple(i for i, s in enumerate(steps) if s.outcome_field is not None),
    )


def _needs(step: PathStep) -> str:
    """What transition_order, assign_order or transfer_order require of this step's values."""
    if step.needs_reason:
        return "reason"
    if step.resolves:
        return "resolves"
    if step.appoints:
        return "appoints"
    if step.loop:
        return "loop"
    return step.action if step.action in ORDER_ACTIONS else ""


def _other_step(action: str, status: str, stage: str) -> PathStep:
    return PathStep(
        action, False, status, stage, status, stage, (), (), False, False, False, False, False, False
    )


# When each clock of a policy starts on a path: 0 when the order is accepted, j + 1 at step j (an
# index into the order's instants: creation, then each step), None when it never does.
Starts = tuple[int | None, ...]


def start_steps(path: Path, kinds: tuple[str, ...]) -> Starts:
    """When each clock of these kinds starts on this path: the services' rules (plan_clocks leaves
    out STARTS_WHEN_HANDED_ON; on_order_changed starts one on the first step rules.clock_starts says)."""
    starts: list[int | None] = []
    for kind in kinds:
        start: int | None = 0
        if kind in STARTS_WHEN_HANDED_ON:
            start = next(
                (
                    j + 1
                    for j in path.transitions
                    if clock_starts(
                        kind,
                        old_status=path.steps[j].old_status,
                        old_stage=path.steps[j].old_stage,
                        status=path.steps[j].status,
                        stage=path.steps[j].stage,
                    )
                ),
                None,
            )
        starts.append(start)
    return tuple(starts)


class ClockState:
    """The fields of an SlaClock that the clock rules read and write, without the ORM's bookkeeping."""

    __slots__ = (
        "kind",
        "calendar_name",
        "unit",
        "warning_share",
        "state",
        "started_at",
        "budget_seconds",
        "due_at",
        "warn_at",
        "paused_at",
        "pauses",
        "met_at",
        "breached",
        "breached_at",
        "warned_at",
        "provisional",
        "escalation_level",
        "next_check_at",
        "settled_at",
        "settled_on_time",
        "credited_team_id",
    )

    kind: str
    calendar_name: str
    unit: str
    warning_share: float
    state: str
    started_at: datetime
    budget_seconds: int
    due_at: datetime
    warn_at: datetime
    paused_at: datetime | None
    pauses: list[list[str]]
    met_at: datetime | None
    breached: bool
    breached_at: datetime | None
    warned_at: datetime | None
    provisional: bool
    escalation_level: int
    next_check_at: datetime | None
    settled_at: datetime | None
    settled_on_time: bool | None
    credited_team_id: int | None

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    def as_clock(self) -> SlaClock:
        # move_clock reads and writes only the attributes above.
        return cast(SlaClock, self)


# Where clocks end on a path: step index -> ((clock index, "met" | "stopped"), ...); clocks in no
# entry are still running after the last step.
Program = dict[int, tuple[tuple[int, str], ...]]


def clock_program(path: Path, kinds: tuple[str, ...], cal: WorkingCalendar, starts: Starts) -> Program | None:
    """Where each clock of these kinds (starting as start_steps says) ends on this path, or None
    when some clock pauses or re-opens (then every order on the path is replayed clock by clock
    with move_clock)."""
    start = datetime(2020, 1, 6, 1, tzinfo=UTC)  # any instant: which step ends a clock is time-free
    probes = [
        ClockState(
            kind=kind,
            calendar_name=cal.name,
            unit="natural_hours",
            warning_share=0.8,
            state="running",
            started_at=start,
            budget_seconds=3600,
            due_at=start + timedelta(hours=1),
            warn_at=start,
            pauses=[],
            breached=False,
            provisional=False,
            escalation_level=0,
        )
        for kind in kinds
    ]
    program: dict[int, list[tuple[int, str]]] = {}
    for index in path.transitions:
        step = path.steps[index]
        at = start + timedelta(minutes=index + 1)
        for c, probe in enumerate(probes):
            begin = starts[c]
            if begin is None or begin > index + 1:
                continue  # not started yet (a clock starting on this step is moved by it too)
            before = probe.state
            reopened = move_clock(
                cal,
                probe.as_clock(),
                status=step.status,
                stage=step.stage,
                old_status=step.old_status,
                at=at,
                team_id=None,
            )
            if reopened or probe.state == "paused" or (before, probe.state) == ("paused", "running"):
                return None
            if before == "running" and probe.state in ("met", "stopped"):
                program.setdefault(index, []).append((c, probe.state))
    return {index: tuple(ends) for index, ends in program.items()}
