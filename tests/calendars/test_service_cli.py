"""Calendars in the database and on the command line: seed, load a year, overrides, strict CLI."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from manyi.calendars import service
from manyi.calendars.models import HolidayDay
from manyi.cli import app
from manyi.core import db as core_db
from manyi.core.errors import ValidationFailed
from manyi.core.model_registry import load_all_models
from manyi.core.settings import reset_settings

CST = timezone(timedelta(hours=8))
YEAR_2027 = """\
year: 2027
holidays:
  - {name: 元旦, start: 2027-01-01, end: 2027-01-03}
  - {name: 春节, start: 2027-02-06, end: 2027-02-13}
workdays:
  - {date: 2027-02-14, name: 春节调休}
"""


def test_seed_and_load_year(session: Session, tmp_path: Path) -> None:
    service.seed_calendars(session)
    service.seed_calendars(session)  # idempotent
    office = service.get_calendar(session, name="office")
    start = datetime(2026, 12, 31, 17, 0, tzinfo=CST)
    assert office.add(start, 2, "working_hours").provisional
    assert not service.check_year(session, year=2027).loaded

    path = tmp_path / "2027.yaml"
    path.write_text(YEAR_2027, encoding="utf-8")
    assert service.load_year(session, year=2027, path=path) == 12
    office = service.get_calendar(session, name="office")  # rebuilt: the data changed
    deadline = office.add(start, 2, "working_hours", strict=True)
    assert deadline.due_at == datetime(2027, 1, 4, 10, 0, tzinfo=CST)
    assert not deadline.provisional
    # The 2027 make-up Sunday is a working day.
    assert office.add(datetime(2027, 2, 5, 17, 0, tzinfo=CST), 2, "working_hours").due_at == datetime(
        2027, 2, 14, 10, 0, tzinfo=CST
    )


def test_a_bad_year_file_changes_nothing(session: Session, tmp_path: Path) -> None:
    service.seed_calendars(session)
    session.commit()
    before = session.query(HolidayDay).count()
    path = tmp_path / "2027.csv"
    path.write_text(
        "kind,name,start,end\nholiday,元旦,2027-01-01,2027-01-03\nworkday,调休,2027-13-01,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed, match=r"CSV line 3 start: expected a date"):
        service.load_year(session, year=2027, path=path)
    path.write_text("kind,name,start,end\nholiday,元旦,2028-01-01,2028-01-03\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="outside 2027"):
        service.load_year(session, year=2027, path=path)
    assert session.query(HolidayDay).count() == before


def test_override_moves_deadlines(session: Session) -> None:
    service.seed_calendars(session)
    start = datetime(2026, 11, 20, 17, 30, tzinfo=CST)  # Friday
    assert service.get_calendar(session, name="office").add(start, 2, "working_hours").due_at == datetime(
        2026, 11, 23, 10, 30, tzinfo=CST
    )
    service.set_override(session, calendar_name="office", day=date(2026, 11, 21), working=True, reason="调休")
    assert service.get_calendar(session, name="office").add(start, 2, "working_hours").due_at == datetime(
        2026, 11, 21, 10, 30, tzinfo=CST
    )


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MANYI_DATABASE_URL", url)
    reset_settings()
    engine = core_db.make_engine(url)
    load_all_models().metadata.create_all(engine)
    core_db.set_engine(engine)
    runner = CliRunner()
    assert runner.invoke(app, ["calendar", "seed"]).exit_code == 0
    yield runner
    core_db.set_engine(None)
    engine.dispose()
    reset_settings()


def test_cli_add_between_check(cli_db: CliRunner, tmp_path: Path) -> None:
    r = cli_db.invoke(
        app,
        [
            "calendar",
            "add",
            "--calendar",
            "office",
            "--start",
            "2026-09-30T17:30:00+08:00",
            "--working-hours",
            "2",
        ],
    )
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "2026-10-08T10:30:00+08:00"
    r = cli_db.invoke(app, ["calendar", "add", "--start", "2026-09-30T17:30:00+08:00", "--working-days", "3"])
    assert r.output.strip() == "2026-10-10T18:00:00+08:00"
    r = cli_db.invoke(app, ["calendar", "between", "2026-11-23T10:00:00+08:00", "2026-11-23T14:00:00+08:00"])
    assert r.output.strip() == "2h30m (9000 s)"

    r = cli_db.invoke(
        app, ["calendar", "add", "--start", "2026-12-31T17:00:00+08:00", "--working-hours", "2"]
    )
    assert r.exit_code == 2
    assert "'office'" in r.output and "2027" in r.output
    r = cli_db.invoke(app, ["calendar", "check", "2027"])
    assert r.exit_code == 1 and "2027" in r.output

    path = tmp_path / "2027.yaml"
    path.write_text(YEAR_2027, encoding="utf-8")
    assert cli_db.invoke(app, ["calendar", "load-year", "2027", str(path)]).exit_code == 0
    assert cli_db.invoke(app, ["calendar", "check", "2027"]).exit_code == 0
    r = cli_db.invoke(
        app, ["calendar", "add", "--start", "2026-12-31T17:00:00+08:00", "--working-hours", "2"]
    )
    assert r.output.strip() == "2027-01-04T10:00:00+08:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-09-30T17:30:00", "--working-hours", "2"], "no UTC offset"),
        (["--start", "yesterday", "--working-hours", "2"], "expected an ISO 8601 instant"),
        (["--start", "2026-09-30T17:30:00+08:00"], "exactly one of"),
        (
            ["--calendar", "nope", "--start", "2026-09-30T17:30:00+08:00", "--working-hours", "1"],
            "calendar 'nope' does not exist",
        ),
    ],
)
def test_cli_errors_are_one_line(cli_db: CliRunner, args: list[str], message: str) -> None:
    r = cli_db.invoke(app, ["calendar", "add", *args])
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output
