"""`/api/v1/calendars`: working-time calendars, their overrides, the national holiday schedule, and
deadline arithmetic for admins checking what a limit means."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from manyi.api.admin import (
    ERRORS,
    JSON_BODY,
    TAG,
    audit,
    check_if_match,
    list_page,
    reply,
    version_etag,
)
from manyi.api.errors import ApiError
from manyi.api.query import Attribute, parse_datetime, parse_fields
from manyi.auth.deps import Ctx, ctx
from manyi.calendars import service
from manyi.calendars.arithmetic import INDEX_FIRST_YEAR, INDEX_LAST_YEAR
from manyi.calendars.models import Calendar
from manyi.calendars.schemas import (
    WEEKDAYS,
    BetweenOut,
    CalendarCreate,
    CalendarDetail,
    CalendarOut,
    DeadlineOut,
    OverrideInput,
    OverrideOut,
    OverrideWritten,
    ScheduleDay,
    ScheduleLoaded,
    YearSchedule,
    YearScheduleDays,
    hours_out,
    intervals_in,
)
from manyi.core.clock import now, zone
from manyi.core.errors import NotFound
from manyi.sla.recompute import (
    calendar_override_flow,
    calendar_override_remove_flow,
    calendar_year_load_flow,
    override_state,
)

BASE = "/api/v1/calendars"
router = APIRouter(prefix=BASE, tags=[TAG], responses=ERRORS)
SCHEDULE_TYPES = {
    "text/csv": "schedule.csv",
    "application/yaml": "schedule.yaml",
    "application/x-yaml": "schedule.yaml",
    "text/yaml": "schedule.yaml",
    "text/x-yaml": "schedule.yaml",
}
Year = Annotated[int, Path(ge=INDEX_FIRST_YEAR, le=INDEX_LAST_YEAR, description="e.g. 2027")]


def _document(c: Ctx, row: Calendar) -> dict[str, Any]:
    weekly = service.weekly_hours(c.session, calendar_name=row.name)
    return CalendarOut(
        id=row.name,
        href=f"{BASE}/{quote(row.name, safe='')}",  # a URI: a Chinese name is percent-encoded
        name=row.name,
        kind=row.kind,
        timezone=row.timezone,
        description=row.description,
        weekly_hours={WEEKDAYS[wd]: hours_out(weekly[wd]) for wd in range(7)},
        version=row.version,
    ).model_dump(by_alias=True)


def _year_schedule(c: Ctx, year: int) -> YearSchedule:
    check = service.check_year(c.session, year=year)
    return YearSchedule(
        year=year, loaded=check.loaded, source=check.source, holidays=check.holidays, workdays=check.workdays
    )


def _calendar(c: Ctx, name: str) -> Calendar:
    row = c.session.get(Calendar, name)
    if row is None:
        raise NotFound(f"calendar {name!r} does not exist")
    return row


@router.get(
    "",
    summary="List calendars / 查询工作日历",
    description="TMF630 lists: filters `name`, `kind`, `timezone`; default sort `name`.\n\n列出工作日历。",
    response_model=list[CalendarOut],
)
def list_calendars(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:read")
    attributes = {
        "name": Attribute(Calendar.name),
        "kind": Attribute(Calendar.kind),
        "timezone": Attribute(Calendar.timezone),
    }
    return list_page(
        request,
        c,
        model=Calendar,
        attributes=attributes,
        tiebreak=Calendar.name,
        documents=lambda rows: [_document(c, r) for r in rows],
    )


@router.get(
    "/schedule/{year}",
    summary="A year's national holiday schedule / 某年法定节假日与调休",
    response_model=YearScheduleDays,
)
def get_schedule(year: Year, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:read")
    return reply(_schedule_days(c, year).model_dump(by_alias=True))


def _schedule_days(c: Ctx, year: int) -> YearScheduleDays:
    days = [
        ScheduleDay(date=d.day.isoformat(), kind=d.kind, name=d.name)
        for d in service.schedule_days(c.session, year=year)
    ]
    return YearScheduleDays(**_year_schedule(c, year).model_dump(), days=days)


@router.put(
    "/schedule/{year}",
    summary="Load a year's holiday schedule / 录入某年节假日安排",
    description="The State Council notice as a YAML (`application/yaml`) or CSV (`text/csv`) body, in the "
    "format of docs/calendar-year-file.md; replaces the year. Every open SLA clock the change can move is "
    "recomputed (those crossing a date whose kind changed and, for a year not loaded before, those computed on "
    "weekdays only): `recomputedClocks` counts the clocks looked at, `movedDeadlines` the due instants that "
    "moved, each recorded in its order's history. A bad file is refused with 422 naming the line or entry, "
    "and changes nothing.\n\n录入国务院节假日安排（YAML 或 CSV），并重算受影响的在途工单时限。",
    response_model=ScheduleLoaded,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {media: {"schema": {"type": "string"}} for media in SCHEDULE_TYPES},
        }
    },
)
async def put_schedule(year: Year, request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in SCHEDULE_TYPES:
        raise ApiError(415, f"Content-Type: expected text/csv or application/yaml, got {media or 'none'}")
    raw = await request.body()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_load_schedule, c, year, raw, SCHEDULE_TYPES[media])


def _load_schedule(c: Ctx, year: int, raw: bytes, filename: str) -> JSONResponse:
    c.require("config:write")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(422, f"body: expected UTF-8 text ({exc.reason} at byte {exc.start})") from None
    before = _year_schedule(c, year).model_dump(by_alias=True)
    loaded = calendar_year_load_flow(
        c.session, year=year, text=text, filename=filename, actor_id=c.principal.user_id
    )
    after = _year_schedule(c, year)
    c.session.commit()
    audit(
        c,
        action="load_schedule",
        resource=f"calendarSchedule/{year}",
        before=before,
        after=after.model_dump(by_alias=True),
        changed_days=sorted(d.isoformat() for d in loaded.changed_days),
        recomputed_clocks=loaded.recomputed.checked,
        moved_deadlines=loaded.recomputed.moved,
    )
    out = ScheduleLoaded(
        **after.model_dump(),
        changed_days=len(loaded.changed_days),
        recomputed_clocks=loaded.recomputed.checked,
        moved_deadlines=loaded.recomputed.moved,
    )
    return reply(out.model_dump(by_alias=True))


@router.get(
    "/{name}",
    summary="Get a calendar with a year's holidays / 查看工作日历及某年节假日",
    description="Weekly hours, and for `year` (default: this year) the national holidays and 调休 days, "
    "whether that year's schedule is loaded, and this calendar's overrides.\n\n"
    "工作时间，以及指定年份的节假日、调休、是否已录入和本日历的特殊日期。",
    response_model=CalendarDetail,
)
def get_calendar(
    name: str,
    c: Annotated[Ctx, Depends(ctx)],
    year: Annotated[int | None, Query(ge=INDEX_FIRST_YEAR, le=INDEX_LAST_YEAR)] = None,
    fields: str | None = None,
) -> JSONResponse:
    c.require("config:read")
    row = _calendar(c, name)
    year = year or now().astimezone(zone(row.timezone)).year
    overrides = [
        OverrideOut(
            date=o.day.isoformat(),
            working=o.working,
            hours=hours_out(o.intervals) if o.intervals else None,
            reason=o.reason,
        )
        for o in service.overrides_in(c.session, calendar_name=name, year=year)
    ]
    document = _document(c, row) | {
        "year": year,
        "schedule": _schedule_days(c, year).model_dump(by_alias=True),
        "overrides": [o.model_dump(by_alias=True) for o in overrides],
    }
    return reply(document, etag=version_etag(row.version), fields=parse_fields(fields))


@router.post(
    "",
    status_code=201,
    summary="Create a calendar / 新建工作日历",
    description="`weeklyHours` per weekday (monday … sunday) as local `HH:MM` intervals; several a day "
    "make a lunch break. Kind `always` is 7×24.\n\n新建日历：按星期设置工作时段，可设午休。",
    response_model=CalendarOut,
    dependencies=JSON_BODY,
)
def create_calendar(body: CalendarCreate, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:write")
    weekly = {WEEKDAYS.index(day): intervals_in(hours) for day, hours in body.weekly_hours.items()}
    row = service.create_calendar(
        c.session,
        name=body.name,
        kind=body.kind,
        timezone=body.timezone,
        description=body.description,
        weekly=weekly,
    )
    document = _document(c, row)
    c.session.commit()
    audit(c, action="create", resource=f"calendar/{row.name}", after=document)
    return reply(document, etag=version_etag(row.version), status=201)


def _override_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"date: expected YYYY-MM-DD, got {value!r}", field="date") from None


def _override_out(state: dict[str, Any] | None, when: date) -> OverrideOut | None:
    if state is None:
        return None
    hours = hours_out(state["intervals"]) if state["intervals"] else None
    return OverrideOut(date=when.isoformat(), working=state["working"], hours=hours, reason=state["reason"])


@router.put(
    "/{name}/overrides/{day}",
    summary="Set a date's override / 设置特殊日期",
    description="Make one date of this calendar closed (`working: false`) or open (`working: true`, with "
    "`hours` or the calendar's usual hours); wins over the weekly hours and the national schedule. A date "
    "that already has a different override is refused (409 `override_exists`, naming it) unless "
    "`replace=true`; the response then carries the `previous` override, and the audit log both. The same "
    "override again changes nothing. Every open clock on this calendar the date can move is recomputed: "
    "`recomputedClocks` counts the clocks looked at, `movedDeadlines` the due instants that moved, each "
    "recorded in its order's history. `If-Match` with the calendar's ETag refuses a stale change.\n\n"
    "设置某日停工或上班（如台风停工、临时加班）；已有特殊日期时须 replace=true 才会替换；并重算受影响的时限。",
    response_model=OverrideWritten,
    dependencies=JSON_BODY,
)
def put_override(
    name: str,
    day: str,
    body: Annotated[OverrideInput, Body()],
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
    replace: Annotated[
        bool, Query(description="replace the date's existing override (otherwise 409)")
    ] = False,
) -> JSONResponse:
    c.require("config:write")
    when = _override_day(day)
    row = _calendar(c, name)
    check_if_match(if_match, version_etag(row.version), f"calendar {name}")
    saved = calendar_override_flow(
        c.session,
        calendar_name=name,
        day=when,
        working=body.working,
        intervals=list(intervals_in(body.hours)) if body.hours else None,
        reason=body.reason,
        replace=replace,
        actor_id=c.principal.user_id,
    )
    override = saved.override
    previous = _override_out(saved.before, when) if saved.replaced else None
    out = OverrideWritten(
        calendar=name,
        date=when.isoformat(),
        working=override.working,
        hours=hours_out(override.intervals) if override.intervals else None,
        reason=override.reason,
        replaced=saved.replaced,
        previous=previous,
        recomputed_clocks=saved.recomputed.checked,
        moved_deadlines=saved.recomputed.moved,
    ).model_dump(by_alias=True)
    c.session.commit()
    if saved.changed:
        audit(
            c,
            action="replace_override" if saved.replaced else "set_override",
            resource=f"calendar/{name}/overrides/{when}",
            before=saved.before,
            after=override_state(override),
            recomputed_clocks=saved.recomputed.checked,
            moved_deadlines=saved.recomputed.moved,
        )
    return reply(out, etag=version_etag(row.version))


@router.delete(
    "/{name}/overrides/{day}",
    summary="Remove a date's override / 取消特殊日期",
    description="The date follows the weekly hours and national schedule again; the open clocks it can move "
    "are recomputed, as for setting one.\n\n取消特殊日期设置，并重算受影响的时限。",
    response_model=OverrideWritten,
)
def delete_override(
    name: str,
    day: str,
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    c.require("config:write")
    when = _override_day(day)
    row = _calendar(c, name)
    check_if_match(if_match, version_etag(row.version), f"calendar {name}")
    removed = calendar_override_remove_flow(
        c.session, calendar_name=name, day=when, actor_id=c.principal.user_id
    )
    resource = f"calendar/{name}/overrides/{when}"
    c.session.commit()
    audit(
        c,
        action="delete_override",
        resource=resource,
        before=removed.before,
        recomputed_clocks=removed.recomputed.checked,
        moved_deadlines=removed.recomputed.moved,
    )
    out = OverrideWritten(
        calendar=name,
        date=when.isoformat(),
        working=False,
        hours=None,
        reason="",
        deleted=True,
        previous=_override_out(removed.before, when),
        recomputed_clocks=removed.recomputed.checked,
        moved_deadlines=removed.recomputed.moved,
    )
    return reply(out.model_dump(by_alias=True), etag=version_etag(row.version))


@router.get(
    "/{name}/add",
    summary="Compute a deadline / 计算到期时间",
    description="The due instant of a limit starting at `start` (ISO 8601 with offset): give exactly one of "
    "`workingHours`, `workingDays`, `naturalHours`, `naturalDays`. A year without a loaded schedule is "
    "refused (409) unless `allowProvisional=true`, which answers on weekdays only and says so.\n\n"
    "按本日历计算时限到期时间。",
    response_model=DeadlineOut,
)
def add(
    name: str,
    c: Annotated[Ctx, Depends(ctx)],
    start: Annotated[str, Query(max_length=64, description="e.g. 2026-09-30T17:30:00+08:00")],
    working_hours: Annotated[
        float | None, Query(alias="workingHours", gt=0, le=1e6, allow_inf_nan=False)
    ] = None,
    working_days: Annotated[int | None, Query(alias="workingDays", ge=1, le=100_000)] = None,
    natural_hours: Annotated[
        float | None, Query(alias="naturalHours", gt=0, le=1e6, allow_inf_nan=False)
    ] = None,
    natural_days: Annotated[int | None, Query(alias="naturalDays", ge=1, le=100_000)] = None,
    allow_provisional: Annotated[bool, Query(alias="allowProvisional")] = False,
) -> JSONResponse:
    c.require("config:read")
    given = {
        "working_hours": working_hours,
        "working_days": working_days,
        "natural_hours": natural_hours,
        "natural_days": natural_days,
    }
    chosen = [(unit, amount) for unit, amount in given.items() if amount is not None]
    if len(chosen) != 1:
        raise ApiError(400, "give exactly one of workingHours, workingDays, naturalHours, naturalDays")
    unit, amount = chosen[0]
    assert amount is not None
    begin = parse_datetime(start, "start")
    cal = service.get_calendar(c.session, name=name)
    deadline = cal.add(begin, amount, unit, strict=not allow_provisional)
    out = DeadlineOut(
        calendar=name,
        start=begin.isoformat(),
        amount=amount,
        unit=unit,
        due=deadline.due_at.astimezone(cal.zone).isoformat(),
        provisional=deadline.provisional,
    )
    return reply(out.model_dump(by_alias=True))


@router.get(
    "/{name}/between",
    summary="Working time between two instants / 计算工作时长",
    response_model=BetweenOut,
)
def between(
    name: str,
    c: Annotated[Ctx, Depends(ctx)],
    start: Annotated[str, Query(max_length=64)],
    end: Annotated[str, Query(max_length=64)],
) -> JSONResponse:
    c.require("config:read")
    a, b = parse_datetime(start, "start"), parse_datetime(end, "end")
    seconds = service.get_calendar(c.session, name=name).working_seconds_between(a, b)
    out = BetweenOut(
        calendar=name,
        start=a.isoformat(),
        end=b.isoformat(),
        working_seconds=seconds,
        working_hours=round(seconds / 3600, 4),
    )
    return reply(out.model_dump(by_alias=True))
