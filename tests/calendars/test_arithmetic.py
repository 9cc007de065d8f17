"""Deadline arithmetic on the built-in `office` calendar, across Spring Festival, National Day and 调休."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from manyi.calendars.arithmetic import CalendarSpec, WorkingCalendar
from manyi.core.errors import CalendarDataMissing, ValidationFailed

CST = timezone(timedelta(hours=8))


def t(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (t(2026, 11, 23, 10, 0), 2, t(2026, 11, 23, 12, 0)),  # earliest instant: 12:00, not 13:30
        (t(2026, 11, 23, 11, 0), 2, t(2026, 11, 23, 14, 30)),  # across the lunch break
        (t(2026, 11, 23, 7, 0), 1, t(2026, 11, 23, 10, 0)),  # before hours: from 09:00
        (t(2026, 11, 23, 12, 30), 1, t(2026, 11, 23, 14, 30)),  # in the lunch break: from 13:30
        (t(2026, 11, 27, 17, 0), 2, t(2026, 11, 30, 10, 0)),  # Friday evening -> Monday
        (t(2026, 9, 30, 17, 30), 2, t(2026, 10, 8, 10, 30)),  # National Day 2026: Oct 1-7 off
        (t(2025, 9, 26, 17, 0), 2, t(2025, 9, 28, 10, 0)),  # Sunday 2025-09-28 is a 调休 working day
        (t(2025, 1, 27, 17, 0), 2, t(2025, 2, 5, 10, 0)),  # Spring Festival 2025: Jan 28 - Feb 4 off
        (t(2025, 1, 24, 17, 0), 2, t(2025, 1, 26, 10, 0)),  # Sunday 2025-01-26 is a 调休 working day
        (t(2024, 2, 9, 17, 0), 2, t(2024, 2, 18, 10, 0)),  # Spring Festival 2024, make-up Sunday Feb 18
        (t(2026, 2, 13, 17, 0), 2, t(2026, 2, 14, 10, 0)),  # Saturday 2026-02-14 is a 调休 working day
        (t(2026, 2, 14, 17, 0), 2, t(2026, 2, 24, 10, 0)),  # Spring Festival 2026: Feb 15-23 off
        (t(2024, 9, 30, 17, 0), 2, t(2024, 10, 8, 10, 0)),  # National Day 2024
    ],
)
def test_add_working_hours(office: WorkingCalendar, start: datetime, hours: int, due: datetime) -> None:
    deadline = office.add(start, hours, "working_hours")
    assert deadline.due_at == due
    assert deadline.due_at.tzinfo is UTC
    assert not deadline.provisional


def test_working_days_start_the_next_day_and_end_at_close_of_business(office: WorkingCalendar) -> None:
    # Accepted Wednesday 2026-09-30 late: days are Oct 8, Oct 9, Oct 10 (a make-up Saturday).
    assert office.add(t(2026, 9, 30, 17, 30), 3, "working_days").due_at == t(2026, 10, 10, 18, 0)
    # Accepted at 08:00 on a Monday: day 1 is Tuesday, not Monday (Civil Code art. 201).
    assert office.add(t(2026, 11, 23, 8, 0), 1, "working_days").due_at == t(2026, 11, 24, 18, 0)
    # Accepted on a Saturday: the Monday is day 1.
    assert office.add(t(2026, 11, 21, 10, 0), 2, "working_days").due_at == t(2026, 11, 24, 18, 0)


def test_natural_hours_are_exact(office: WorkingCalendar) -> None:
    assert office.add(t(2026, 10, 1, 9, 15), 24, "natural_hours").due_at == t(2026, 10, 2, 9, 15)


def test_natural_days_end_at_midnight_moved_past_rest_days(office: WorkingCalendar) -> None:
    # 2026-11-20 (Fri) + 2 days = Sunday 11-22, a rest day -> 24:00 of Monday 11-23.
    assert office.add(t(2026, 11, 20, 15, 0), 2, "natural_days").due_at == t(2026, 11, 24, 0, 0)
    # + 4 days = Tuesday 11-24, a working day -> 24:00 of that day.
    assert office.add(t(2026, 11, 20, 15, 0), 4, "natural_days").due_at == t(2026, 11, 25, 0, 0)
    # 15 days from 2026-09-20 ends 2026-10-05, inside National Day -> 24:00 of Oct 8.
    assert office.add(t(2026, 9, 20, 10, 0), 15, "natural_days").due_at == t(2026, 10, 9, 0, 0)


def test_working_time_between(office: WorkingCalendar) -> None:
    assert office.working_seconds_between(t(2026, 11, 23, 10, 0), t(2026, 11, 23, 14, 0)) == 2.5 * 3600
    assert office.working_seconds_between(t(2026, 9, 30, 17, 0), t(2026, 10, 8, 10, 0)) == 2 * 3600
    assert office.working_seconds_between(t(2026, 11, 23, 14, 0), t(2026, 11, 23, 10, 0)) == -2.5 * 3600


def test_a_year_without_data_is_provisional_and_strict_refuses(office: WorkingCalendar) -> None:
    deadline = office.add(t(2026, 12, 31, 17, 0), 2, "working_hours")
    assert deadline.provisional
    assert deadline.due_at == t(2027, 1, 1, 10, 0)  # weekdays only: a guess, flagged as such
    with pytest.raises(CalendarDataMissing, match=r"'office'.*2027"):
        office.add(t(2026, 12, 31, 17, 0), 2, "working_hours", strict=True)
    assert not office.add(t(2026, 12, 30, 10, 0), 2, "working_hours", strict=True).provisional


def test_loading_the_year_makes_it_exact() -> None:
    spec = CalendarSpec(
        name="office",
        weekly={wd: ((540, 720), (810, 1080)) for wd in range(5)},
        holidays=frozenset({date(2027, 1, 1)}),
        data_years=frozenset(range(2004, 2028)),
    )
    deadline = WorkingCalendar(spec).add(t(2026, 12, 31, 17, 0), 2, "working_hours", strict=True)
    assert deadline == type(deadline)(t(2027, 1, 4, 10, 0), False)


def test_seven_by_twenty_four() -> None:
    always = WorkingCalendar(CalendarSpec(name="24x7", always=True))
    assert always.add(t(2026, 10, 1, 23, 0), 2, "working_hours").due_at == t(2026, 10, 2, 1, 0)
    assert always.add(t(2027, 5, 1, 23, 0), 2, "working_hours").provisional is False


def test_overrides_win(office: WorkingCalendar) -> None:
    spec = office.spec
    closed = WorkingCalendar(
        CalendarSpec(
            **{**spec.__dict__, "overrides": {date(2026, 11, 23): (), date(2026, 11, 22): ((600, 660),)}}
        )
    )
    # Sunday 11-22 opens 10:00-11:00; Monday 11-23 is closed.
    assert closed.add(t(2026, 11, 20, 17, 30), 2, "working_hours").due_at == t(2026, 11, 24, 9, 30)


def test_bad_input_is_named(office: WorkingCalendar) -> None:
    with pytest.raises(ValidationFailed, match="start: expected a datetime with a UTC offset"):
        office.add(datetime(2026, 1, 5, 10, 0), 1, "working_hours")  # noqa: DTZ001
    with pytest.raises(ValidationFailed, match="unit: expected one of"):
        office.add(t(2026, 1, 5, 10, 0), 1, "fortnights")
    with pytest.raises(ValidationFailed, match="interval"):
        WorkingCalendar(CalendarSpec(name="bad", weekly={0: ((600, 500),)}))


def test_batch_matches_single_calls(office: WorkingCalendar) -> None:
    rng = np.random.default_rng(7)
    base = int(t(2024, 1, 1).timestamp())
    starts = base + rng.integers(0, 2 * 365 * 86400, size=2000)
    seconds = rng.integers(0, 40 * 3600, size=2000)
    batch = office.add_working_seconds_many(starts, seconds)
    for s, n, due in zip(starts[:300], seconds[:300], batch[:300], strict=True):
        single = office.add_working_seconds(datetime.fromtimestamp(int(s), UTC), int(n)).due_at
        assert int(single.timestamp()) == int(due)


def test_an_amount_that_rounds_to_nothing_never_goes_back_in_time(office: WorkingCalendar) -> None:
    lunch = t(2026, 11, 23, 12, 30)
    assert office.add_working_seconds(lunch, 0.3).due_at == lunch
    assert office.add_working_seconds(lunch, 0).due_at == lunch


def test_an_unchanged_calendar_reuses_its_index_and_a_changed_one_does_not() -> None:
    # Reference data reloads whenever any of it changes; a calendar whose definition did not change
    # must not walk 37 years again, and one that did must not keep its old index.
    weekly = {wd: ((540, 720), (810, 1080)) for wd in range(5)}
    first = WorkingCalendar(CalendarSpec(name="a", weekly=weekly))
    again = WorkingCalendar(CalendarSpec(name="b", weekly=dict(weekly)))
    assert again._hot is first._hot
    closed = WorkingCalendar(CalendarSpec(name="a", weekly=weekly, overrides={date(2026, 11, 23): ()}))
    assert closed._hot is not first._hot
    monday = t(2026, 11, 23, 10, 0)
    assert first.add(monday, 1, "working_hours").due_at == t(2026, 11, 23, 11, 0)
    assert closed.add(monday, 1, "working_hours").due_at == t(2026, 11, 24, 10, 0)
