"""Property tests: a recompute is exact. A clock that lived on one calendar, recomputed after the
calendar changed, holds to the microsecond the instants of a clock that always lived on the new
calendar; recomputed on an unchanged calendar it changes nothing; and the bulk writer's vectorised
planner agrees with the scalar one on calendars with overrides and starts with fractions of a second."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.bulk.clocks import plan_target, to_us
from manyi.calendars.arithmetic import WorkingCalendar
from manyi.sla.models import SlaClock
from manyi.sla.policies import PolicyData, TargetData
from manyi.sla.service import _plan_clock, _recompute, move_clock
from tests.calendars.conftest import office_spec

BASE = office_spec(range(2004, 2027))  # 2027 not loaded: deadlines reaching into it are provisional
OFFICE = WorkingCalendar(BASE)
SHORT = ((600, 660),)  # 10:00-11:00
# One changed date per calendar (a pool, so the 0.3 s index of each is built once): working
# Saturdays, closed weekdays, short hours, a closed New Year's Eve, a working Sunday in January.
OVERRIDES: list[dict[date, tuple[tuple[int, int], ...]]] = [
    {date(2026, 12, 5): ((540, 720), (810, 1080))},
    {date(2026, 12, 7): ()},
    {date(2026, 12, 8): SHORT},
    {date(2026, 12, 12): SHORT},
    {date(2026, 12, 18): ()},
    {date(2026, 12, 19): ((540, 720), (810, 1080))},
    {date(2026, 12, 21): ()},
    {date(2026, 12, 31): ()},
    {date(2027, 1, 3): ((540, 1080),)},
]
CHANGED = [WorkingCalendar(replace(BASE, overrides=o)) for o in OVERRIDES]
TARGETS = [
    TargetData("resolution", 2, "working_hours"),
    TargetData("resolution", 0.75, "working_hours"),
    TargetData("resolution", 16, "working_hours"),
    TargetData("resolution", 1, "working_days"),
    TargetData("resolution", 3, "working_days"),
    TargetData("resolution", 24, "natural_hours"),
    TargetData("resolution", 1.5, "natural_hours"),
    TargetData("resolution", 15, "natural_days"),
    TargetData("resolution", 2, "natural_days"),
]
FIRST = datetime(2026, 11, 26, tzinfo=UTC)
SPAN_US = 28 * 86400 * 10**6


def _policy(share: float) -> PolicyData:
    return PolicyData(1, "p", None, None, None, None, None, None, None, None, None, share, ())


def _live(
    cal: WorkingCalendar,
    target: TargetData,
    share: float,
    start: datetime,
    pauses: list[tuple[datetime, datetime]],
) -> SlaClock:
    """A clock started at start on cal, paused and resumed by its order as the services do."""
    clock = SlaClock(**_plan_clock(policy=_policy(share), target=target, cal=cal, at=start))
    for paused_at, resumed_at in pauses:
        move_clock(
            cal,
            clock,
            status="pending",
            stage="accepted",
            old_status="inProgress",
            at=paused_at,
            team_id=None,
        )
        move_clock(
            cal,
            clock,
            status="inProgress",
            stage="accepted",
            old_status="pending",
            at=resumed_at,
            team_id=None,
        )
    return clock


def _instants(clock: SlaClock) -> tuple[object, ...]:
    return (clock.budget_seconds, clock.due_at, clock.warn_at, clock.provisional, clock.next_check_at)


clocks = st.tuples(
    st.integers(0, SPAN_US),  # start, microseconds after FIRST
    st.sampled_from(TARGETS),
    st.sampled_from([0.5, 0.75, 0.8]),
    st.lists(st.tuples(st.integers(1, 3 * 86400 * 10**6), st.integers(1, 2 * 86400 * 10**6)), max_size=3),
    st.integers(0, len(CHANGED) - 1),
)


def _pauses(start: datetime, steps: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    pauses, cursor = [], start
    for gap, length in steps:
        paused_at = cursor + timedelta(microseconds=gap)
        cursor = paused_at + timedelta(microseconds=length)
        pauses.append((paused_at, cursor))
    return pauses


@settings(max_examples=300, deadline=None)
@given(clocks)
def test_a_recomputed_clock_equals_one_that_always_ran_on_the_new_calendar(
    drawn: tuple[int, TargetData, float, list[tuple[int, int]], int],
) -> None:
    offset, target, share, steps, which = drawn
    start = FIRST + timedelta(microseconds=offset)
    pauses = _pauses(start, steps)
    changed = CHANGED[which]
    # A recompute runs after everything the live clock went through (its last resume).
    at = max([start, *(resumed for _paused, resumed in pauses)])
    recomputed = _live(OFFICE, target, share, start, pauses)
    _recompute(changed, recomputed, amount=target.amount, unit=target.unit, warning_share=share, at=at)
    assert _instants(recomputed) == _instants(_live(changed, target, share, start, pauses))
    # On data that did not change, a recompute writes nothing, to the microsecond.
    for cal in (OFFICE, changed):
        clock = _live(cal, target, share, start, pauses)
        before = _instants(clock)
        assert not _recompute(cal, clock, amount=target.amount, unit=target.unit, warning_share=share, at=at)
        assert _instants(clock) == before


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, SPAN_US), min_size=1, max_size=40), st.sampled_from(TARGETS), st.integers(0, 8)
)
def test_the_vectorised_planner_equals_the_scalar_one_on_changed_calendars(
    offsets: list[int], target: TargetData, which: int
) -> None:
    cal = CHANGED[which]
    starts = np.asarray([to_us(FIRST) + o for o in offsets], dtype=np.int64)
    planned = plan_target(cal, target, 0.8, starts)
    for k, offset in enumerate(offsets):
        row = _plan_clock(
            policy=_policy(0.8), target=target, cal=cal, at=FIRST + timedelta(microseconds=offset)
        )
        assert (
            int(planned.budget[k]),
            int(planned.due_us[k]),
            int(planned.warn_us[k]),
            bool(planned.provisional[k]),
        ) == (row["budget_seconds"], to_us(row["due_at"]), to_us(row["warn_at"]), row["provisional"])
