"""What a calendar change does to open orders: the one owner of "calendar changed -> recompute the
SLA clocks it can move", for the REST API, the console and the CLI alike.

Each flow makes the calendar change (calendars.service) and hands it to
recompute_after_calendar_change, which picks the open clocks the change can reach and recomputes
them exactly (manyi.sla.service.recompute_clocks): a due instant that does not move is not written,
and each one that moves is an event in its order's history naming the change, the old and the new
due instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from manyi.calendars import service as calendars
from manyi.calendars.arithmetic import Interval
from manyi.calendars.models import Calendar, CalendarOverride
from manyi.core.clock import ensure_aware, now
from manyi.sla.models import SlaClock
from manyi.sla.service import Recomputed, recompute_clocks

OPEN = ("running", "paused")


@dataclass(frozen=True)
class CalendarChange:
    """Which working time changed: dates of one calendar (an override), or of the national schedule
    (calendar_name None: every calendar that follows it); `why` is recorded on each moved deadline."""

    why: dict[str, str]
    days: frozenset[date]
    calendar_name: str | None = None
    provisional_too: bool = False  # a year newly loaded: every provisional clock is looked at too


def _candidates(session: Session, change: CalendarChange) -> list[SlaClock]:
    """The open clocks a change can move: those on an affected calendar that started before the last
    changed day ends and were not already due before the first one began. A paused clock is looked
    at whenever it started before then (a cheap superset: recomputing writes only what moves)."""
    reach: list[ColumnElement[bool]] = []
    if change.days:
        first, last = min(change.days), max(change.days)
        if change.calendar_name is not None:
            zone: Any = calendars.get_calendar(session, name=change.calendar_name).zone
            margin = timedelta(0)
        else:  # every calendar, each in its own zone: a day either side covers any offset
            zone, margin = UTC, timedelta(days=1)
        begin = datetime.combine(first, time(0), zone) - margin
        end = datetime.combine(last + timedelta(days=1), time(0), zone) + margin
        reach.append(
            and_(SlaClock.started_at < end, or_(SlaClock.due_at >= begin, SlaClock.state == "paused"))
        )
    if change.provisional_too:
        reach.append(SlaClock.provisional.is_(True))
    if not reach:
        return []
    query = select(SlaClock).where(SlaClock.state.in_(OPEN), or_(*reach))
    if change.calendar_name is not None:
        query = query.where(SlaClock.calendar_name == change.calendar_name)
    else:  # a 7x24 calendar ignores the national schedule
        always = select(Calendar.name).where(Calendar.kind == "always")
        query = query.where(SlaClock.calendar_name.not_in(always))
    return list(session.scalars(query.order_by(SlaClock.id)))


def recompute_after_calendar_change(
    session: Session, *, change: CalendarChange, at: datetime | None = None, actor_id: int | None = None
) -> Recomputed:
    """Recompute every open clock the change can move; a deadline that moves is recorded on its order."""
    at = ensure_aware(at or now(), field="at")
    session.flush()  # the change is read back through get_calendar
    return recompute_clocks(
        session, clocks=_candidates(session, change), why=change.why, at=at, actor_id=actor_id
    )


# ----- the flows: change a calendar, then recompute --------------------------------------------------
def override_state(row: CalendarOverride | None) -> dict[str, Any] | None:
    """An override as recorded in the audit log and shown when it is replaced (None: no override)."""
    if row is None:
        return None
    return {"working": row.working, "intervals": row.intervals, "reason": row.reason}


@dataclass(frozen=True)
class OverrideSaved:
    override: CalendarOverride
    before: dict[str, Any] | None  # the override this one replaced, or None
    changed: bool  # False: the same override was already there (nothing written or recomputed)
    recomputed: Recomputed = field(default_factory=lambda: Recomputed(0, 0))

    @property
    def replaced(self) -> bool:
        return self.before is not None and self.changed


def calendar_override_flow(
    session: Session,
    *,
    calendar_name: str,
    day: date,
    working: bool,
    intervals: list[Interval] | None = None,
    reason: str = "",
    replace: bool = False,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> OverrideSaved:
    """Set one date of a calendar working or closed and move the deadlines it reaches. A date that
    already has a different override is replaced only with replace=True (OverrideExists otherwise)."""
    before = override_state(calendars.override_on(session, calendar_name=calendar_name, day=day))
    row, changed = calendars.set_override(
        session,
        calendar_name=calendar_name,
        day=day,
        working=working,
        intervals=intervals,
        reason=reason,
        replace=replace,
    )
    if not changed:
        return OverrideSaved(row, before, False)
    why = {
        "change": "override_replaced" if before else "override",
        "calendar": calendar_name,
        "date": day.isoformat(),
    }
    change = CalendarChange(why=why, days=frozenset({day}), calendar_name=calendar_name)
    recomputed = recompute_after_calendar_change(session, change=change, at=at, actor_id=actor_id)
    return OverrideSaved(row, before, True, recomputed)


@dataclass(frozen=True)
class OverrideRemoved:
    before: dict[str, Any]
    recomputed: Recomputed


def calendar_override_remove_flow(
    session: Session,
    *,
    calendar_name: str,
    day: date,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> OverrideRemoved:
    """Remove a date's override (the calendar's usual rules apply again) and move the deadlines it reaches."""
    before = override_state(calendars.override_on(session, calendar_name=calendar_name, day=day))
    calendars.delete_override(session, calendar_name=calendar_name, day=day)
    assert before is not None  # delete_override raised NotFound otherwise
    why = {"change": "override_removed", "calendar": calendar_name, "date": day.isoformat()}
    change = CalendarChange(why=why, days=frozenset({day}), calendar_name=calendar_name)
    return OverrideRemoved(
        before, recompute_after_calendar_change(session, change=change, at=at, actor_id=actor_id)
    )


@dataclass(frozen=True)
class YearLoaded:
    year: int
    days: int  # days in the file
    replaced: bool  # the year was loaded before: this is a correction
    changed_days: frozenset[date]  # dates whose kind (holiday, make-up working day, neither) changed
    recomputed: Recomputed


def calendar_year_load_flow(
    session: Session,
    *,
    year: int,
    text: str,
    filename: str,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> YearLoaded:
    """Load (or replace) a year's national schedule from a YAML/CSV text and move every open deadline
    it reaches: clocks crossing a date that changed, and, for a year not loaded before, every clock
    computed on weekdays only (provisional). A bad file raises and changes nothing."""
    replaced = calendars.check_year(session, year=year).loaded
    old = {d.day: d.kind for d in calendars.schedule_days(session, year=year)}
    days = calendars.load_year_text(session, year=year, text=text, filename=filename)
    new = {d.day: d.kind for d in calendars.schedule_days(session, year=year)}
    changed = frozenset(d for d in old.keys() | new.keys() if old.get(d) != new.get(d))
    why = {"change": "schedule", "year": str(year)}
    change = CalendarChange(why=why, days=changed, provisional_too=not replaced)
    recomputed = recompute_after_calendar_change(session, change=change, at=at, actor_id=actor_id)
    return YearLoaded(year, days, replaced, changed, recomputed)
