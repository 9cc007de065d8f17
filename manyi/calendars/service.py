"""Calendars in the database: seeding, loading a year, overrides, and the cached arithmetic."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from manyi.calendars.arithmetic import (
    INDEX_FIRST_YEAR,
    INDEX_LAST_YEAR,
    CalendarSpec,
    Interval,
    WorkingCalendar,
    validate_intervals,
)
from manyi.calendars.models import Calendar, CalendarHours, CalendarOverride, HolidayDay, HolidayYear
from manyi.calendars.yearfile import parse_schedule
from manyi.core.errors import Conflict, NotFound, ValidationFailed
from manyi.core.logging import get_logger
from manyi.core.refdata import cached

log = get_logger(__name__)

OFFICE_HOURS: tuple[Interval, ...] = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))
# A calendar's name is its id in URLs (/api/v1/calendars/{name}); "schedule" is the national one's.
_NAME = re.compile(r"[^\s\x00-\x1f\x7f/?#%\\]{1,64}")
RESERVED_NAMES = frozenset({"schedule"})
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _load_calendar(name: str) -> Callable[[Session], WorkingCalendar]:
    def load(session: Session) -> WorkingCalendar:
        row = session.get(Calendar, name)
        if row is None:
            known = ", ".join(session.scalars(select(Calendar.name).order_by(Calendar.name))) or "none"
            raise NotFound(f"calendar {name!r} does not exist (known: {known})")
        return WorkingCalendar(_spec(session, row))

    return load


def get_calendar(session: Session, *, name: str) -> WorkingCalendar:
    """Return the indexed calendar called name. Built once per process and data version: any edit of
    a calendar, an override or the national schedule is seen on the next lookup (manyi.core.refdata)."""
    return cached(session, f"calendar:{name}", _load_calendar(name))


def _spec(session: Session, row: Calendar) -> CalendarSpec:
    weekly: dict[int, list[Interval]] = {i: [] for i in range(7)}
    for hours in session.scalars(select(CalendarHours).where(CalendarHours.calendar_name == row.name)):
        weekly[hours.weekday].append((hours.start_minute, hours.end_minute))
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day in session.scalars(select(HolidayDay)):
        (holidays if day.kind == "holiday" else workdays).add(day.day)
    overrides: dict[date, tuple[Interval, ...]] = {}
    for o in session.scalars(select(CalendarOverride).where(CalendarOverride.calendar_name == row.name)):
        if not o.working:
            overrides[o.day] = ()
        elif o.intervals:
            overrides[o.day] = tuple((int(a), int(b)) for a, b in o.intervals)
        else:
            base = weekly[o.day.weekday()] or weekly[0]
            overrides[o.day] = tuple(base)
    return CalendarSpec(
        name=row.name,
        timezone=row.timezone,
        weekly={k: tuple(v) for k, v in weekly.items()},
        always=row.kind == "always",
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(workdays),
        data_years=frozenset(session.scalars(select(HolidayYear.year))),
        overrides=overrides,
    )


def create_calendar(
    session: Session,
    *,
    name: str,
    weekly: dict[int, tuple[Interval, ...]] | None = None,
    kind: str = "official",
    timezone: str = "Asia/Shanghai",
    description: str = "",
) -> Calendar:
    """Create a calendar with weekly hours (validated by building it once)."""
    if not _NAME.fullmatch(name) or not name.strip(".") or name in RESERVED_NAMES:
        raise ValidationFailed(
            f"name: expected 1-64 characters without spaces or / ? # % \\ (and not 'schedule'), got {name!r}",
            field="name",
        )
    if kind not in ("official", "always"):
        raise ValidationFailed(f"kind: expected 'official' or 'always', got {kind!r}", field="kind")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationFailed(
            f"timezone: expected an IANA time zone such as Asia/Shanghai, got {timezone!r}", field="timezone"
        ) from None
    if session.get(Calendar, name) is not None:
        raise Conflict(f"calendar {name!r} already exists", field="name")
    weekly = weekly or {}
    WorkingCalendar(CalendarSpec(name=name, timezone=timezone, weekly=weekly, always=kind == "always"))
    row = Calendar(name=name, kind=kind, timezone=timezone, description=description)
    session.add(row)
    for weekday, intervals in weekly.items():
        for start, end in intervals:
            session.add(
                CalendarHours(calendar_name=name, weekday=weekday, start_minute=start, end_minute=end)
            )
    session.flush()
    return row


def seed_official_schedule(session: Session) -> list[int]:
    """Load every year chinesecalendar knows that is not loaded yet; return the years added."""
    import chinese_calendar

    have = set(session.scalars(select(HolidayYear.year)))
    by_year: dict[int, list[dict[str, object]]] = {}
    for day, name in chinese_calendar.holidays.items():
        by_year.setdefault(day.year, []).append({"day": day, "kind": "holiday", "name": str(name or "")})
    for day, name in chinese_calendar.workdays.items():
        # chinesecalendar lists every weekday as a workday; only weekend days are 调休 make-up days.
        if day.weekday() >= 5:
            by_year.setdefault(day.year, []).append({"day": day, "kind": "workday", "name": str(name or "")})
    added = [year for year in sorted(by_year) if year not in have]
    if added:
        session.flush()
        # Two bulk statements, not a unit of work of ~1,000 objects (every new database, every test).
        session.execute(insert(HolidayDay), [day for year in added for day in by_year[year]])
        session.execute(insert(HolidayYear), [{"year": year, "source": "chinesecalendar"} for year in added])
    return added


def seed_calendars(session: Session) -> None:
    """Create the built-in calendars `office` and `24x7` and the national schedule (idempotent)."""
    seed_official_schedule(session)
    if session.get(Calendar, "office") is None:
        create_calendar(
            session,
            name="office",
            weekly={wd: OFFICE_HOURS for wd in range(5)},
            description="工作日 09:00-12:00, 13:30-18:00 (official calendar)",
        )
    if session.get(Calendar, "24x7") is None:
        create_calendar(session, name="24x7", kind="always", description="7×24 call centre")


def read_schedule_file(path: Path) -> str:
    """The text of a year's schedule file (YAML or CSV, UTF-8)."""
    if not path.exists():
        raise ValidationFailed(f"{path}: file not found")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{path}: expected UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_year(session: Session, *, year: int, path: Path) -> int:
    """Load (or replace) a year's official schedule from a YAML/CSV file; return days loaded."""
    return load_year_text(session, year=year, text=read_schedule_file(path), filename=path.name)


def load_year_text(session: Session, *, year: int, text: str, filename: str) -> int:
    """Load (or replace) a year's official schedule from the text of a YAML/CSV file (an upload)."""
    _check_year(year)
    # Parsed in full before anything is deleted: a bad file changes nothing.
    days = parse_schedule(text, year, filename=filename)
    start, end = date(year, 1, 1), date(year, 12, 31)
    session.execute(delete(HolidayDay).where(HolidayDay.day >= start, HolidayDay.day <= end))
    session.execute(delete(HolidayYear).where(HolidayYear.year == year))
    session.add_all(HolidayDay(day=d.day, kind=d.kind, name=d.name) for d in days)
    session.add(HolidayYear(year=year, source="admin"))
    session.flush()
    log.info("calendar_year_loaded", year=year, days=len(days))
    return len(days)


class OverrideExists(Conflict):
    """A date already has a different override: replacing it must be asked for explicitly."""

    code = "override_exists"

    def __init__(self, row: CalendarOverride) -> None:
        super().__init__(
            f"date: calendar {row.calendar_name!r} already has a special date on {row.day.isoformat()} "
            f"({describe_override(row)}); replace it explicitly (replace=true) or remove it first",
            field="date",
        )
        self.existing = row


def describe_override(row: CalendarOverride) -> str:
    """An override in one line of English, for messages and logs: working 10:00-11:00 (调休)."""
    if not row.working:
        text = "closed"
    elif row.intervals:
        text = "working " + ", ".join(
            f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in row.intervals
        )
    else:
        text = "working, usual hours"
    return f"{text} ({row.reason})" if row.reason else text


def override_on(session: Session, *, calendar_name: str, day: date) -> CalendarOverride | None:
    """The override of one date of one calendar, if any."""
    return session.scalars(
        select(CalendarOverride).where(
            CalendarOverride.calendar_name == calendar_name, CalendarOverride.day == day
        )
    ).one_or_none()


def set_override(
    session: Session,
    *,
    calendar_name: str,
    day: date,
    working: bool,
    intervals: list[Interval] | None = None,
    reason: str = "",
    replace: bool = False,
) -> tuple[CalendarOverride, bool]:
    """Make one date of one calendar working (optionally with given hours) or closed; return the
    override and whether anything changed. The same override again changes nothing; a different one
    on a date that has one raises OverrideExists unless replace is True."""
    calendar = _existing(session, calendar_name)
    _check_year(day.year, field="date")
    if intervals and not working:
        raise ValidationFailed("hours: a closed day has no working hours; leave hours out", field="hours")
    if intervals:
        validate_intervals(intervals, f"{calendar_name} {day.isoformat()}", field="hours")
    stored = [list(i) for i in intervals] if intervals else None
    row = override_on(session, calendar_name=calendar_name, day=day)
    if row is not None:
        if (row.working, row.intervals, row.reason) == (working, stored, reason):
            return row, False
        if not replace:
            raise OverrideExists(row)
    else:
        row = CalendarOverride(calendar_name=calendar_name, day=day)
        session.add(row)
    row.working = working
    row.intervals = stored
    row.reason = reason
    calendar.version += 1
    session.flush()
    log.info(
        "calendar_override_set", calendar=calendar_name, day=day.isoformat(), override=describe_override(row)
    )
    return row, True


def parse_hours(text: str) -> list[Interval] | None:
    """Working hours typed as "09:00-12:00, 13:30-18:00" (a full-width comma too) as minute intervals;
    empty text is None (the calendar's usual hours). Order and overlaps are checked by set_override."""
    out: list[Interval] = []
    for part in [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]:
        match = _HOURS.match(part)
        if not match:
            raise ValidationFailed(
                f"hours: expected HH:MM-HH:MM intervals separated by commas, e.g. 09:00-12:00, 13:30-18:00; "
                f"got {part!r}",
                field="hours",
                key="hours.format",
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        out.append((h1 * 60 + m1, h2 * 60 + m2))
    return out or None


def delete_override(session: Session, *, calendar_name: str, day: date) -> None:
    """Remove the admin's decision for one date: the calendar's normal rules apply again."""
    calendar = _existing(session, calendar_name)
    row = override_on(session, calendar_name=calendar_name, day=day)
    if row is None:
        raise NotFound(f"calendar {calendar_name!r} has no override on {day.isoformat()}")
    session.delete(row)
    calendar.version += 1
    session.flush()


def _existing(session: Session, name: str) -> Calendar:
    calendar = session.get(Calendar, name)
    if calendar is None:
        raise NotFound(f"calendar {name!r} does not exist")
    return calendar


def _check_year(year: int, *, field: str = "year") -> None:
    if not INDEX_FIRST_YEAR <= year <= INDEX_LAST_YEAR:
        raise ValidationFailed(
            f"{field}: expected a year from {INDEX_FIRST_YEAR} to {INDEX_LAST_YEAR}, got {year}", field=field
        )


def weekly_hours(session: Session, *, calendar_name: str) -> dict[int, list[Interval]]:
    """A calendar's working intervals per weekday (0 = Monday), in order."""
    weekly: dict[int, list[Interval]] = {i: [] for i in range(7)}
    rows = session.scalars(
        select(CalendarHours)
        .where(CalendarHours.calendar_name == calendar_name)
        .order_by(CalendarHours.weekday, CalendarHours.start_minute)
    )
    for row in rows:
        weekly[row.weekday].append((row.start_minute, row.end_minute))
    return weekly


def overrides_in(session: Session, *, calendar_name: str, year: int) -> list[CalendarOverride]:
    """A calendar's overrides within one year, by date."""
    return list(
        session.scalars(
            select(CalendarOverride)
            .where(
                CalendarOverride.calendar_name == calendar_name,
                CalendarOverride.day >= date(year, 1, 1),
                CalendarOverride.day <= date(year, 12, 31),
            )
            .order_by(CalendarOverride.day)
        )
    )


def schedule_days(session: Session, *, year: int) -> list[HolidayDay]:
    """The national schedule of one year: public holidays and 调休 make-up working days, by date."""
    return list(
        session.scalars(
            select(HolidayDay)
            .where(HolidayDay.day >= date(year, 1, 1), HolidayDay.day <= date(year, 12, 31))
            .order_by(HolidayDay.day)
        )
    )


@dataclass(frozen=True)
class YearCheck:
    year: int
    loaded: bool
    source: str | None
    holidays: int
    workdays: int


def check_year(session: Session, *, year: int) -> YearCheck:
    """Report whether a year's official schedule is loaded."""
    row = session.get(HolidayYear, year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    counts = dict(
        session.execute(
            select(HolidayDay.kind, func.count())
            .where(HolidayDay.day >= start, HolidayDay.day <= end)
            .group_by(HolidayDay.kind)
        ).all()
    )
    return YearCheck(
        year, row is not None, row.source if row else None, counts.get("holiday", 0), counts.get("workday", 0)
    )
