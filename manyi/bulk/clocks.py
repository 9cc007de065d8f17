"""SLA clocks of many new orders at once, for the bulk writer (manyi.bulk.writer).

plan_target computes what manyi.sla.service._plan_clock does for one target, for a whole array of
start instants: the calendar's vectorised add for working hours, and the calendar's own scalar add
once per distinct start minute for the units whose deadline depends only on the start's local date.
climb_ladder replays the ladder (manyi.sla.escalation, as the worker's sweep fires it) on a running
clock up to a given instant. Instants are int64 microseconds since the epoch (UTC) throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from manyi.calendars.arithmetic import WorkingCalendar
from manyi.sla.escalation import LadderState, next_rung
from manyi.sla.policies import PolicyData, TargetData

US = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
WORKING_UNITS = ("working_hours", "working_days")


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact, unlike timestamp())."""
    return (instant - EPOCH) // ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def timedelta_us(seconds: np.ndarray) -> np.ndarray:
    """timedelta(seconds=x).total microseconds for floats x >= 0, rounded exactly as CPython does:
    whole seconds, then the fraction scaled to microseconds and truncated, then the leftover below a
    microsecond rounded half to even on the total (Modules/_datetimemodule.c, delta_new)."""
    whole = np.trunc(seconds)
    micro = (seconds - whole) * 1e6
    micro_whole = np.trunc(micro)
    leftover = micro - micro_whole
    total = whole.astype(np.int64) * US + micro_whole.astype(np.int64)
    return total + ((leftover > 0.5) | ((leftover == 0.5) & (total % 2 == 1)))


def provisional_from(cal: WorkingCalendar) -> int:
    """The epoch second from which the calendar's deadlines are provisional (its first year without
    official data), or a number beyond every instant when it has none."""
    years = cal.provisional_years()
    if not years:
        return 1 << 62
    return int(datetime(years[0], 1, 1, tzinfo=cal.zone).timestamp())


@dataclass
class PlannedTarget:
    """One target's clock for each start instant: budget seconds, due and warn instants, provisional."""

    budget: np.ndarray
    due_us: np.ndarray
    warn_us: np.ndarray
    provisional: np.ndarray


# (calendar, amount, unit) -> start minute -> (due second, working seconds to due, working time?)
Memo = dict[tuple[str, float, str], dict[int, tuple[int, int, bool]]]


def plan_target(
    cal: WorkingCalendar, target: TargetData, share: float, start_us: np.ndarray, memo: Memo | None = None
) -> PlannedTarget:
    """_plan_clock's budget, due and warn instants for every start (WorkingCalendar truncates a start
    to its second, as here)."""
    start_s = start_us // US
    memo = {} if memo is None else memo
    if target.unit == "working_hours":
        seconds = round(target.amount * 3600)  # add_working_seconds rounds the amount
        due_s = cal.add_working_seconds_many(start_s, seconds)
        # W(add(t, n)) - W(t) = n: the deadline is the first instant at which n seconds are used up.
        budget = np.full(start_s.shape, seconds, dtype=np.int64)
    else:
        # The deadline of these units depends only on the start's local date (days) or moves with
        # the start second by second (natural hours); calendars work in whole local minutes, so one
        # scalar computation per distinct start minute, shifted within the minute, is exact.
        # A load spans a few weeks, so its minutes recur batch after batch: `memo` keeps them.
        minutes, back = np.unique(start_s // 60, return_inverse=True)
        known = memo.setdefault((cal.name, target.amount, target.unit), {})
        rows = []
        for minute in minutes.tolist():
            row = known.get(minute)
            if row is None:
                at = datetime.fromtimestamp(minute * 60, UTC)
                due = cal.add(at, target.amount, target.unit).due_at
                row = (int(due.timestamp()), 0, False)
                if target.unit == "working_days":
                    # working seconds from the minute's start to due, and whether it is working time
                    row = (row[0], cal.working_seconds_between(at, due), cal.is_working_time(at))
                known[minute] = row
            rows.append(row)
        due_list, until_list, working_list = zip(*rows, strict=True)
        due_m = np.array(due_list, dtype=np.int64)
        until_due_m = np.array(until_list, dtype=np.int64)
        working_m = np.array(working_list, dtype=bool)
        into_minute = start_s - minutes[back] * 60
        # A natural-hours deadline moves with the start's second; a days deadline is the day's.
        due_s = due_m[back] + (into_minute if target.unit == "natural_hours" else 0)
        if target.unit == "working_days":
            budget = until_due_m[back] - np.where(working_m[back], into_minute, 0)
        else:
            # int((due - start).total_seconds()): whole seconds, truncated.
            budget = (due_s * US - start_us) // US
    if target.unit in WORKING_UNITS:
        warn_us = cal.add_working_seconds_many(start_s, np.rint(budget * share).astype(np.int64)) * US
    else:
        warn_us = start_us + timedelta_us(budget * share)
    return PlannedTarget(budget, due_s * US, warn_us, due_s >= provisional_from(cal))


@dataclass
class PlannedGroup:
    """The clocks of the orders sharing one policy and calendar: per target, arrays by position."""

    policy: PolicyData
    calendar: WorkingCalendar
    targets: list[PlannedTarget]


def plan_group(
    cal: WorkingCalendar, policy: PolicyData, start_us: list[list[int]], memo: Memo | None = None
) -> PlannedGroup:
    """Plan each target of the policy from its own start instants (start_us[k] for target k)."""
    return PlannedGroup(
        policy,
        cal,
        [
            plan_target(cal, t, policy.warning_share, np.asarray(starts, dtype=np.int64), memo)
            for t, starts in zip(policy.targets, start_us, strict=True)
        ],
    )


@dataclass
class Rung:
    """One step the sweep fired for a clock: which, to whom, and in which sweep pass."""

    round: int
    check_at: int  # the clock's next_check_at when the pass claimed it (passes claim in this order)
    step: str
    role: str


def climb_ladder(
    *,
    due: int,
    warned_at: int | None,
    breached: bool,
    level: int,
    next_check: int | None,
    now: int,
    delays_us: tuple[int, ...],
) -> tuple[list[Rung], int | None, bool, int | None, int, int | None]:
    """What sweep_due_clocks, run at `now` until nothing is due, does to a running clock: the steps it
    fires and the clock's warned_at, breached, breached_at, escalation_level and next_check_at after."""
    rungs: list[Rung] = []
    state = LadderState(warned_at, breached, None, level, next_check)
    while state.next_check is not None and state.next_check <= now:
        claimed = state.next_check
        rung, state = next_rung(state, due=due, now=now, delays=delays_us)
        rungs.append(Rung(len(rungs), claimed, rung.step, rung.role))
    return rungs, state.warned_at, state.breached, state.breached_at, state.level, state.next_check
