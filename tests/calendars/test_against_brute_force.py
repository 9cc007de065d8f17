"""Property tests: the indexed arithmetic equals a minute-by-minute walk of the calendar's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.calendars.arithmetic import WorkingCalendar

from .conftest import office_spec

OFFICE = WorkingCalendar(office_spec())
START = datetime(2024, 1, 1, tzinfo=UTC)
MINUTES_2024_2026 = 3 * 365 * 24 * 60 - 30 * 24 * 60


def _working(minute_start: datetime) -> bool:
    local = minute_start.astimezone(OFFICE.zone)
    m = local.hour * 60 + local.minute
    return any(a <= m < b for a, b in OFFICE.day_intervals(local.date()))


def _walk_add(start: datetime, minutes: int) -> datetime:
    cursor, used = start, 0
    if minutes == 0:
        return start
    while True:
        if _working(cursor):
            used += 1
            if used == minutes:
                return cursor + timedelta(minutes=1)
        cursor += timedelta(minutes=1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, MINUTES_2024_2026), st.integers(0, 24 * 60))
def test_add_working_time_matches_walk(offset: int, minutes: int) -> None:
    start = START + timedelta(minutes=offset)
    assert OFFICE.add_working_seconds(start, minutes * 60).due_at == _walk_add(start, minutes)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, MINUTES_2024_2026), st.integers(0, 14 * 24 * 60))
def test_between_matches_walk(offset: int, span: int) -> None:
    start = START + timedelta(minutes=offset)
    end = start + timedelta(minutes=span)
    walked = sum(1 for i in range(span) if _working(start + timedelta(minutes=i)))
    assert OFFICE.working_seconds_between(start, end) == walked * 60
