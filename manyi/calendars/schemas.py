"""Request and response bodies of the calendar admin API, and local-time conversions."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from manyi.api.admin import Input, Resource
from manyi.calendars.arithmetic import Interval

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
TIME = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


class Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Hours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=TIME, description="local time HH:MM")
    end: str = Field(pattern=TIME, description="local time HH:MM; 24:00 is midnight")


class CalendarCreate(Input):
    name: str = Field(min_length=1, max_length=64)
    kind: Literal["official", "always"] = Field(
        "official", description="official: follows the national holidays and 调休; always: 7×24"
    )
    timezone: str = Field("Asia/Shanghai", min_length=1, max_length=64)
    description: str = Field("", max_length=255)
    weekly_hours: dict[Weekday, list[Hours]] = Field(
        default_factory=dict, description='e.g. {"monday": [{"start": "09:00", "end": "12:00"}, …]}'
    )


class OverrideInput(Input):
    working: bool = Field(description="false: closed that day; true: open (with `hours`, or the usual hours)")
    hours: list[Hours] | None = Field(None, max_length=12)
    reason: str = Field("", max_length=255)


class CalendarOut(Resource):
    id: str
    href: str
    at_type: str = Field("WorkingCalendar", alias="@type")
    name: str
    kind: str
    timezone: str
    description: str
    weekly_hours: dict[str, list[Hours]]
    version: int


class ScheduleDay(Out):
    date: str
    kind: Literal["holiday", "workday"] = Field(description="holiday: day off; workday: 调休 make-up day")
    name: str


class YearSchedule(Out):
    year: int
    loaded: bool = Field(description="false: deadlines in this year are provisional (weekdays only)")
    source: str | None
    holidays: int
    workdays: int


class YearScheduleDays(YearSchedule):
    days: list[ScheduleDay]


class OverrideOut(Out):
    date: str
    working: bool
    hours: list[Hours] | None
    reason: str


class CalendarDetail(CalendarOut):
    year: int
    schedule: YearScheduleDays
    overrides: list[OverrideOut]


class OverrideWritten(OverrideOut):
    calendar: str
    deleted: bool = False
    replaced: bool = Field(False, description="true: a different override of this date was replaced")
    previous: OverrideOut | None = Field(None, description="the override replaced or removed")
    recomputed_clocks: int = Field(description="open SLA clocks on this calendar the change could move")
    moved_deadlines: int = Field(0, description="due instants that moved (each in its order's history)")


class ScheduleLoaded(YearSchedule):
    changed_days: int = Field(0, description="dates whose kind changed (holiday, 调休 working day, neither)")
    recomputed_clocks: int = Field(description="open SLA clocks the change could move")
    moved_deadlines: int = Field(0, description="due instants that moved (each in its order's history)")


class DeadlineOut(Out):
    calendar: str
    start: str
    amount: float
    unit: str
    due: str = Field(description="in the calendar's time zone")
    provisional: bool


class BetweenOut(Out):
    calendar: str
    start: str
    end: str
    working_seconds: int
    working_hours: float


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def hours_out(intervals: list[Interval] | list[Any]) -> list[Hours]:
    """Minute intervals as local HH:MM hours."""
    return [Hours(start=_hhmm(int(a)), end=_hhmm(int(b))) for a, b in intervals]


def intervals_in(hours: list[Hours]) -> tuple[Interval, ...]:
    """Local HH:MM hours as minute intervals."""
    return tuple((_minutes(h.start), _minutes(h.end)) for h in hours)
