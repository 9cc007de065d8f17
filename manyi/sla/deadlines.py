"""Where an SLA clock's deadlines lie, pure (no I/O): the limit from its start, how a pause moves an
instant, and the whole clock replayed from its start on a calendar.

The live path (manyi.sla.service: a new clock, pause, resume) and every recompute (a calendar or a
policy changed) use these same functions, so a recompute on unchanged data gives back exactly the
instants the live clock holds, and a deadline moves only when the rule gives a new instant.

Exactness: working-time arithmetic is in whole epoch seconds (WorkingCalendar truncates a start to
its second, identically every time). Natural time is exact to the microsecond: a natural limit's
deadline is the calendar's instant itself, and a pause moves it by the pause's exact length. (It used
to be rebuilt as start + the limit's whole seconds, which dropped the start's fraction of a second:
a complaint opened at 10:23:45.74 and due at 00:00 came back due at 23:59:59.74 after any recompute.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from manyi.calendars.arithmetic import WorkingCalendar

WORKING_UNITS = ("working_hours", "working_days")


def limit_seconds(cal: WorkingCalendar, start: datetime, end: datetime, unit: str) -> int:
    """Limit time (working or natural seconds, whole) from start to end."""
    if unit in WORKING_UNITS:
        return cal.working_seconds_between(start, end)
    return int((end - start).total_seconds())


def advance(cal: WorkingCalendar, start: datetime, seconds: float, unit: str) -> tuple[datetime, bool]:
    """The instant when seconds of limit time from start are used up, and whether it is provisional."""
    if unit in WORKING_UNITS:
        d = cal.add_working_seconds(start, max(0.0, seconds))
        return d.due_at, d.provisional
    return start + timedelta(seconds=max(0.0, seconds)), False


def carry_past_pause(
    cal: WorkingCalendar, instant: datetime, unit: str, paused_at: datetime, resumed_at: datetime
) -> tuple[datetime, bool]:
    """Where an instant of a clock lies after a pause: the limit time it was still ahead when the clock
    paused, counted from the resume. An instant the clock had already reached does not move."""
    if instant <= paused_at:
        return instant, False
    if unit in WORKING_UNITS:
        d = cal.add_working_seconds(resumed_at, cal.working_seconds_between(paused_at, instant))
        return d.due_at, d.provisional
    return instant + (resumed_at - paused_at), False


@dataclass(frozen=True)
class ClockTimes:
    """The computed part of a clock: its limit in seconds and its warning and due instants."""

    budget_seconds: int
    due_at: datetime
    warn_at: datetime
    provisional: bool


def plan(cal: WorkingCalendar, start: datetime, amount: float, unit: str, warning_share: float) -> ClockTimes:
    """A new clock's instants: due where the calendar puts the limit, warned at a share of it."""
    deadline = cal.add(start, amount, unit)
    budget = limit_seconds(cal, start, deadline.due_at, unit)
    warn_at, _ = advance(cal, start, budget * warning_share, unit)
    return ClockTimes(budget, deadline.due_at, warn_at, deadline.provisional)


def replay(
    cal: WorkingCalendar,
    *,
    started_at: datetime,
    amount: float,
    unit: str,
    warning_share: float,
    pauses: Iterable[tuple[datetime, datetime]],
) -> ClockTimes:
    """A clock's instants as the live path would hold them had it always run on this calendar with
    this limit: planned at its start, then moved by each finished pause in turn (a clock paused now
    keeps the instants it had when it paused, as the live path does)."""
    times = plan(cal, started_at, amount, unit, warning_share)
    due, warn, provisional = times.due_at, times.warn_at, times.provisional
    for paused_at, resumed_at in pauses:
        due, moved_provisional = carry_past_pause(cal, due, unit, paused_at, resumed_at)
        warn, _ = carry_past_pause(cal, warn, unit, paused_at, resumed_at)
        provisional = provisional or moved_provisional
    return ClockTimes(times.budget_seconds, due, warn, provisional)


def finished_pauses(pauses: Iterable[list[str]]) -> list[tuple[datetime, datetime]]:
    """A clock's stored pauses ([[start_iso, end_iso], ...]) as instants."""
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in pauses]
