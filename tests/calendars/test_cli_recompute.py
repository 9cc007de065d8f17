"""`manyi calendar load-year | override | remove-override` move open deadlines as the API and the
console do (one flow, manyi.sla.recompute), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from manyi.calendars.models import CalendarOverride
from manyi.cli import app
from manyi.orders import service
from manyi.sla.models import SlaClock
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
YEAR_2027 = "kind,name,start,end\nholiday,元旦,2027-01-01,2027-01-03\n"


def _fault(session: Session, op: Operator, at: datetime) -> int:
    order = service.create_order(
        session,
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        at=at,
    )
    session.commit()
    return order.id


def _due(session: Session, order_id: int, kind: str) -> datetime:
    due = session.scalars(
        select(SlaClock.due_at).where(SlaClock.order_id == order_id, SlaClock.kind == kind)
    ).one()
    session.rollback()
    return due


def test_load_year_again_moves_deadlines_that_were_not_provisional(
    session: Session, operator: Operator, tmp_path: Path
) -> None:
    session.commit()
    runner = CliRunner()
    path = tmp_path / "2027.csv"
    path.write_text(YEAR_2027, encoding="utf-8")
    first = runner.invoke(app, ["calendar", "load-year", "2027", str(path)])
    assert first.exit_code == 0, first.output
    assert "2027: loaded 3 days (3 dates changed)" in first.output
    order_id = _fault(session, operator, datetime(2027, 1, 4, 17, 0, tzinfo=CST))
    assert _due(session, order_id, "resolution") == datetime(2027, 1, 7, 18, 0, tzinfo=CST)
    path.write_text(YEAR_2027 + "holiday,补休,2027-01-06,\n", encoding="utf-8")
    again = runner.invoke(app, ["calendar", "load-year", "2027", str(path)])
    assert again.exit_code == 0, again.output
    # Before: only provisional clocks were recomputed, and this one is not provisional.
    assert "replaced 4 days (1 dates changed)" in again.output and "1 deadlines moved" in again.output
    assert _due(session, order_id, "resolution") == datetime(2027, 1, 8, 18, 0, tzinfo=CST)


def test_override_replaces_only_when_asked_and_moves_deadlines(session: Session, operator: Operator) -> None:
    order_id = _fault(session, operator, datetime(2026, 11, 20, 17, 30, tzinfo=CST))  # Friday evening
    monday = datetime(2026, 11, 23, 10, 30, tzinfo=CST)
    assert _due(session, order_id, "first_contact") == monday
    runner = CliRunner()
    opened = runner.invoke(
        app, ["calendar", "override", "office", "2026-11-21", "--working", "--reason", "调休"]
    )
    assert opened.exit_code == 0, opened.output
    assert (
        "set to working, usual hours (调休); 2 open SLA clocks recomputed, 2 deadlines moved" in opened.output
    )
    assert _due(session, order_id, "first_contact") == datetime(2026, 11, 21, 10, 30, tzinfo=CST)

    refused = runner.invoke(app, ["calendar", "override", "office", "2026-11-21", "--closed"])
    assert refused.exit_code == 2
    assert "already has a special date on 2026-11-21 (working, usual hours (调休))" in refused.output
    assert _due(session, order_id, "first_contact") == datetime(2026, 11, 21, 10, 30, tzinfo=CST)

    short = [
        "calendar",
        "override",
        "office",
        "2026-11-21",
        "--working",
        "--hours",
        "10:00-11:00",
        "--replace",
    ]
    replaced = runner.invoke(app, short)
    assert replaced.exit_code == 0, replaced.output
    assert "office 2026-11-21: replaced, now working 10:00-11:00;" in replaced.output
    assert _due(session, order_id, "first_contact") == datetime(2026, 11, 23, 9, 30, tzinfo=CST)
    same = runner.invoke(app, short)
    assert same.exit_code == 0 and "nothing changed" in same.output

    bad = runner.invoke(app, ["calendar", "override", "office", "2026-11-21", "--working", "--hours", "9-12"])
    assert bad.exit_code == 2 and "hours: expected HH:MM-HH:MM" in bad.output
    assert runner.invoke(app, ["calendar", "override", "office", "2026-13-01", "--closed"]).exit_code == 2

    removed = runner.invoke(app, ["calendar", "remove-override", "office", "2026-11-21"])
    assert removed.exit_code == 0 and "special date removed" in removed.output
    assert _due(session, order_id, "first_contact") == monday
    assert (
        session.scalars(select(CalendarOverride).where(CalendarOverride.day == date(2026, 11, 21))).all()
        == []
    )
