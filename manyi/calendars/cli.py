"""`manyi calendar …`: deadline arithmetic, schedules and checks from the command line."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from sqlalchemy import select

from manyi.calendars import service
from manyi.calendars.models import HolidayYear
from manyi.core.cli_support import cli_errors, console, err_console, fail
from manyi.core.db import unit_of_work
from manyi.core.readiness import Needs

cli_app = typer.Typer(help="Working-time calendars (工作日历).", no_args_is_help=True)


def _instant(value: str, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{what}: expected an ISO 8601 instant such as 2026-09-30T17:30:00+08:00, got {value!r}")
        raise
    if parsed.tzinfo is None:
        fail(f"{what}: {value!r} has no UTC offset; add one, e.g. +08:00")
    return parsed


@cli_app.command("add")
@cli_errors(needs=Needs.CALENDARS)
def add(
    calendar: str = typer.Option("office", "--calendar", help="Calendar name"),
    start: str = typer.Option(..., "--start", help="ISO 8601 instant with offset"),
    working_hours: float | None = typer.Option(None, "--working-hours"),
    working_days: int | None = typer.Option(None, "--working-days"),
    natural_hours: float | None = typer.Option(None, "--natural-hours"),
    natural_days: int | None = typer.Option(None, "--natural-days"),
) -> None:
    """Print the due instant of a limit that starts at --start."""
    given = {
        "working_hours": working_hours,
        "working_days": working_days,
        "natural_hours": natural_hours,
        "natural_days": natural_days,
    }
    chosen = [(unit, amount) for unit, amount in given.items() if amount is not None]
    if len(chosen) != 1:
        fail("give exactly one of --working-hours, --working-days, --natural-hours, --natural-days")
    unit, amount = chosen[0]
    assert amount is not None
    begin = _instant(start, "--start")
    with unit_of_work() as session:
        cal = service.get_calendar(session, name=calendar)
        # Strict: an operator asking a question gets an error, never a guess about an unknown year.
        deadline = cal.add(begin, amount, unit, strict=True)
    console.print(deadline.due_at.astimezone(cal.zone).isoformat(), highlight=False)


@cli_app.command("between")
@cli_errors(needs=Needs.CALENDARS)
def between(
    start: str = typer.Argument(..., help="ISO 8601 instant with offset"),
    end: str = typer.Argument(..., help="ISO 8601 instant with offset"),
    calendar: str = typer.Option("office", "--calendar"),
) -> None:
    """Print the working time between START and END."""
    a, b = _instant(start, "START"), _instant(end, "END")
    with unit_of_work() as session:
        seconds = service.get_calendar(session, name=calendar).working_seconds_between(a, b)
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    console.print(f"{sign}{hours}h{rest // 60:02d}m ({seconds} s)", highlight=False)


@cli_app.command("check")
@cli_errors(needs=Needs.CALENDARS)
def check(year: int = typer.Argument(..., help="Year to check, e.g. 2027")) -> None:
    """Say whether YEAR's official holiday schedule is loaded (exit 1 when it is not)."""
    with unit_of_work() as session:
        result = service.check_year(session, year=year)
    if not result.loaded:
        err_console.print(
            f"[bold yellow]warning:[/] no official holiday schedule for {year}: deadlines reaching into {year} "
            f"are provisional (weekdays only). Load it with `manyi calendar load-year {year} FILE`.",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"{year}: loaded from {result.source}, {result.holidays} holidays, {result.workdays} make-up working days",
        highlight=False,
    )


@cli_app.command("load-year")
@cli_errors
def load_year(
    year: int = typer.Argument(..., help="The year the file describes"),
    path: Path = typer.Argument(..., help="YAML or CSV file (see docs/calendar-year-file.md)"),
) -> None:
    """Load a year's holidays and make-up working days from the State Council notice."""
    from manyi.sla.recompute import calendar_year_load_flow

    text = service.read_schedule_file(path)
    with unit_of_work() as session:
        loaded = calendar_year_load_flow(session, year=year, text=text, filename=path.name)
    verb = "replaced" if loaded.replaced else "loaded"
    console.print(
        f"{year}: {verb} {loaded.days} days ({len(loaded.changed_days)} dates changed); "
        f"{loaded.recomputed.checked} open SLA clocks recomputed, {loaded.recomputed.moved} deadlines moved",
        highlight=False,
    )


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"DATE: expected YYYY-MM-DD, got {value!r}")
        raise


@cli_app.command("override")
@cli_errors
def override(
    calendar: str = typer.Argument(..., help="Calendar name, e.g. office"),
    day: str = typer.Argument(..., help="The date, YYYY-MM-DD"),
    working: bool = typer.Option(..., "--working/--closed", help="Open that day, or closed"),
    hours: str = typer.Option("", "--hours", help='e.g. "09:00-12:00, 13:30-18:00"; default: usual hours'),
    reason: str = typer.Option("", "--reason", help="e.g. 台风停工"),
    replace: bool = typer.Option(False, "--replace", help="Replace the date's existing special date"),
) -> None:
    """Make one date of a calendar a working day or a day off; open deadlines it moves are recomputed."""
    from manyi.sla.recompute import calendar_override_flow

    when = _day(day)
    with unit_of_work() as session:
        saved = calendar_override_flow(
            session,
            calendar_name=calendar,
            day=when,
            working=working,
            intervals=service.parse_hours(hours),
            reason=reason.strip(),
            replace=replace,
        )
        described = service.describe_override(saved.override)
    if not saved.changed:
        console.print(f"{calendar} {when}: already {described}; nothing changed", highlight=False)
        return
    verb = "replaced, now" if saved.replaced else "set to"
    console.print(
        f"{calendar} {when}: {verb} {described}; {saved.recomputed.checked} open SLA clocks recomputed, "
        f"{saved.recomputed.moved} deadlines moved",
        highlight=False,
    )


@cli_app.command("remove-override")
@cli_errors
def remove_override(
    calendar: str = typer.Argument(..., help="Calendar name, e.g. office"),
    day: str = typer.Argument(..., help="The date, YYYY-MM-DD"),
) -> None:
    """Remove a date's special date: the usual rules apply again; open deadlines it moves are recomputed."""
    from manyi.sla.recompute import calendar_override_remove_flow

    when = _day(day)
    with unit_of_work() as session:
        removed = calendar_override_remove_flow(session, calendar_name=calendar, day=when)
    console.print(
        f"{calendar} {when}: special date removed; {removed.recomputed.checked} open SLA clocks recomputed, "
        f"{removed.recomputed.moved} deadlines moved",
        highlight=False,
    )


@cli_app.command("seed")
@cli_errors
def seed() -> None:
    """Create the built-in calendars and load every year the holiday packages know."""
    with unit_of_work() as session:
        service.seed_calendars(session)
        years = list(session.scalars(select(HolidayYear.year).order_by(HolidayYear.year)))
    console.print(f"calendars seeded; official schedule loaded for {years[0]}–{years[-1]}", highlight=False)
