from __future__ import annotations

import chinese_calendar
import pytest

from manyi.calendars.arithmetic import CalendarSpec, WorkingCalendar
from manyi.calendars.service import OFFICE_HOURS


def office_spec(data_years: range = range(2004, 2027)) -> CalendarSpec:
    return CalendarSpec(
        name="office",
        weekly={wd: OFFICE_HOURS for wd in range(5)},
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year in data_years),
        makeup_workdays=frozenset(
            d for d in chinese_calendar.workdays if d.weekday() >= 5 and d.year in data_years
        ),
        data_years=frozenset(data_years),
    )


@pytest.fixture(scope="session")
def office() -> WorkingCalendar:
    return WorkingCalendar(office_spec())
