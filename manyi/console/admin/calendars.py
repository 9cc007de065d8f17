"""/admin/calendars: per calendar, a year of the national schedule (public holidays, 调休 make-up
working days) and this calendar's overrides; add, replace (only when asked to) or remove an override;
load a year's schedule file. Each change goes through the same flow as the REST API and the CLI
(manyi.sla.recompute), which moves the open deadlines it reaches and records each move."""

from __future__ import annotations

import calendar as monthly
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from manyi.calendars import service
from manyi.calendars.arithmetic import INDEX_FIRST_YEAR, INDEX_LAST_YEAR, Interval
from manyi.calendars.models import Calendar, CalendarOverride
from manyi.calendars.service import OverrideExists
from manyi.console.admin.common import can_change, can_view, changed, errors_of
from manyi.console.deps import Page, page, query_int
from manyi.core.clock import now, zone
from manyi.core.errors import ManyiError, NotFound
from manyi.core.settings import get_settings
from manyi.sla.recompute import (
    calendar_override_flow,
    calendar_override_remove_flow,
    calendar_year_load_flow,
)

router = APIRouter(prefix="/admin/calendars", include_in_schema=False)
Text = Annotated[str, Form()]
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def this_year() -> int:
    return now().astimezone(zone(get_settings().default_timezone)).year


@router.get("")
def list_calendars(p: Annotated[Page, Depends(page)]) -> Response:
    can_view(p)
    rows = list(p.session.scalars(select(Calendar).order_by(Calendar.name)))
    year = this_year()
    return p.render(
        "admin/calendars.html", calendars=rows, next_year=service.check_year(p.session, year=year + 1)
    )


def _calendar(p: Page, name: str) -> Calendar:
    row = p.session.get(Calendar, name)
    if row is None:
        raise NotFound(p.gettext("No such calendar."))
    return row


def _months(year: int, marks: dict[date, str]) -> list[dict[str, Any]]:
    """Twelve month grids (weeks of 7 dates, Monday first; days of other months are None)."""
    grid = monthly.Calendar(firstweekday=0)
    return [
        {
            "month": m,
            "weeks": [
                [
                    (d, marks.get(d, "weekend" if d.weekday() >= 5 else "")) if d.month == m else None
                    for d in week
                ]
                for week in grid.monthdatescalendar(year, m)
            ],
        }
        for m in range(1, 13)
    ]


def _hours_text(intervals: list[Any] | None) -> str:
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in intervals or [])


def _year_page(
    p: Page,
    row: Calendar,
    year: int,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    days = service.schedule_days(p.session, year=year)
    overrides = service.overrides_in(p.session, calendar_name=row.name, year=year)
    marks: dict[date, str] = {d.day: d.kind for d in days}
    for o in overrides:
        marks[o.day] = "override-on" if o.working else "override-off"
    upcoming = this_year() + 1
    return p.render(
        "admin/calendar.html",
        status_code=422 if errors else 200,
        cal=row,
        year=year,
        years=range(max(INDEX_FIRST_YEAR, this_year() - 5), min(INDEX_LAST_YEAR, this_year() + 5) + 1),
        check=service.check_year(p.session, year=year),
        next_check=service.check_year(p.session, year=upcoming),
        days=days,
        overrides=overrides,
        hours_text=_hours_text,
        months=_months(year, marks),
        weekdays=[p.gettext(w) for w in WEEKDAY_NAMES],
        errors=errors or {},
        form=form
        or {
            "day": "",
            "working": "1",
            "hours": "",
            "reason": "",
            "replace": "",
            "upload_year": str(upcoming),
        },
        editable=p.can("config:write"),
    )


@router.get("/{name}")
def show_calendar(
    p: Annotated[Page, Depends(page)], name: str, year: Annotated[str, Query()] = ""
) -> Response:
    can_view(p)
    row = _calendar(p, name)
    chosen = query_int(year, low=INDEX_FIRST_YEAR, high=INDEX_LAST_YEAR) or this_year()
    return _year_page(p, row, chosen)


def _intervals(p: Page, text: str, errors: dict[str, str]) -> list[Interval] | None:
    """ "09:00-12:00, 13:30-18:00" as minute intervals; empty means the calendar's usual hours."""
    try:
        return service.parse_hours(text)
    except ManyiError:
        errors["hours"] = p.gettext("Enter hours as 09:00-12:00, 13:30-18:00.")
        return None


def _described(p: Page, row: CalendarOverride) -> str:
    """An override in the page's language: its kind, hours and reason."""
    if not row.working:
        text = p.gettext("Day off")
    else:
        hours = _hours_text(row.intervals) if row.intervals else p.gettext("Usual hours")
        text = f"{p.gettext('Working day')} {hours}"
    return f"{text} · {row.reason}" if row.reason else text


@router.post("/{name}/overrides")
def add_override(
    p: Annotated[Page, Depends(page)],
    name: str,
    day: Text = "",
    working: Text = "1",
    hours: Text = "",
    reason: Text = "",
    replace: Text = "",
) -> Response:
    can_change(p)
    row = _calendar(p, name)
    form = {
        "day": day,
        "working": working,
        "hours": hours,
        "reason": reason,
        "replace": replace,
        "upload_year": str(this_year() + 1),
    }
    errors: dict[str, str] = {}
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        errors["day"] = p.gettext("Enter a date as YYYY-MM-DD.")
        when = None
    is_working = working == "1"
    intervals = _intervals(p, hours, errors) if is_working else None
    if not is_working and hours.strip():
        errors["hours"] = p.gettext("A day off has no working hours; leave this empty.")
    if len(reason) > 255:
        errors["reason"] = p.gettext("At most 255 characters.")
    if errors or when is None:
        return _year_page(p, row, this_year(), errors, form)
    try:
        saved = calendar_override_flow(
            p.session,
            calendar_name=name,
            day=when,
            working=is_working,
            intervals=intervals,
            reason=reason.strip(),
            replace=replace == "1",
            actor_id=p.principal.user_id,
        )
    except OverrideExists as exc:
        # A second override of a date replaces the first only when the admin says so.
        message = p.gettext(
            "%(date)s already has a special date (%(what)s). Tick “Replace the existing special date” "
            "and save again to replace it."
        ) % {"date": when.isoformat(), "what": _described(p, exc.existing)}
        p.session.rollback()
        return _year_page(p, _calendar(p, name), when.year, {"day": message}, form)
    except ManyiError as exc:
        errors = errors_of(p, exc, {"date": "day", "hours": "hours"}, "hours")
        return _year_page(p, _calendar(p, name), this_year(), errors, form)
    if not saved.changed:
        message = p.gettext("This special date was already set so; nothing changed.")
        return p.redirect(f"/admin/calendars/{name}?year={when.year}", flash=message)
    changed(
        p,
        "replace_override" if saved.replaced else "set_override",
        f"calendar/{name}/overrides/{when}",
        before=saved.before,
        working=is_working,
        intervals=saved.override.intervals,
        reason=saved.override.reason,
        recomputed_clocks=saved.recomputed.checked,
        moved_deadlines=saved.recomputed.moved,
    )
    counts = {"n": saved.recomputed.checked, "moved": saved.recomputed.moved}
    if saved.replaced:
        message = p.gettext(
            "Special date replaced; %(n)s open SLA clocks were recomputed, %(moved)s deadlines moved."
        )
    else:
        message = p.gettext(
            "Special date saved; %(n)s open SLA clocks were recomputed, %(moved)s deadlines moved."
        )
    return p.redirect(f"/admin/calendars/{name}?year={when.year}", flash=message % counts)


@router.post("/{name}/overrides/{day}/delete")
def remove_override(p: Annotated[Page, Depends(page)], name: str, day: str) -> Response:
    can_change(p)
    _calendar(p, name)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise NotFound(p.gettext("No such special date.")) from None
    removed = calendar_override_remove_flow(
        p.session, calendar_name=name, day=when, actor_id=p.principal.user_id
    )
    changed(
        p,
        "delete_override",
        f"calendar/{name}/overrides/{when}",
        before=removed.before,
        recomputed_clocks=removed.recomputed.checked,
        moved_deadlines=removed.recomputed.moved,
    )
    message = p.gettext(
        "Special date removed; %(n)s open SLA clocks were recomputed, %(moved)s deadlines moved."
    ) % {"n": removed.recomputed.checked, "moved": removed.recomputed.moved}
    return p.redirect(f"/admin/calendars/{name}?year={when.year}", flash=message)


@router.post("/{name}/schedule")
def upload_schedule(
    p: Annotated[Page, Depends(page)],
    name: str,
    upload_year: Text = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The State Council's notice for a year, in the `manyi calendar load-year` file format."""
    can_change(p)
    row = _calendar(p, name)
    form = {"day": "", "working": "1", "hours": "", "reason": "", "replace": "", "upload_year": upload_year}
    shown = this_year()
    if query_int(upload_year, low=INDEX_FIRST_YEAR, high=INDEX_LAST_YEAR) is None:
        error = p.gettext("Enter a year from %(first)s to %(last)s.") % {
            "first": INDEX_FIRST_YEAR,
            "last": INDEX_LAST_YEAR,
        }
        return _year_page(p, row, shown, {"upload_year": error}, form)
    year = int(upload_year)
    if file is None or not file.filename:
        return _year_page(p, row, shown, {"file": p.gettext("Choose a .yaml or .csv file.")}, form)
    try:
        text = file.file.read(1_000_000).decode("utf-8-sig")
    except UnicodeDecodeError:
        return _year_page(p, row, shown, {"file": p.gettext("The file is not UTF-8 text.")}, form)
    try:
        loaded = calendar_year_load_flow(
            p.session, year=year, text=text, filename=file.filename, actor_id=p.principal.user_id
        )
    except ManyiError as exc:
        # The parser's message names the line or entry ("CSV line 4 kind: …"); nothing was loaded.
        return _year_page(p, _calendar(p, name), shown, errors_of(p, exc, {}, "file"), form)
    changed(
        p,
        "load_schedule",
        f"calendarSchedule/{year}",
        days=loaded.days,
        replaced=loaded.replaced,
        changed_days=sorted(d.isoformat() for d in loaded.changed_days),
        recomputed_clocks=loaded.recomputed.checked,
        moved_deadlines=loaded.recomputed.moved,
    )
    message = p.gettext(
        "The %(year)s schedule is loaded (%(days)s days); %(n)s open SLA clocks were recomputed, "
        "%(moved)s deadlines moved."
    ) % {
        "year": year,
        "days": loaded.days,
        "n": loaded.recomputed.checked,
        "moved": loaded.recomputed.moved,
    }
    return p.redirect(f"/admin/calendars/{name}?year={year}", flash=message)
