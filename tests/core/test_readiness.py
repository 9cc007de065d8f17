"""Every CLI command on a database that is not migrated, or not set up, says so in one line and
exits non-zero, changing nothing (before: `manyi calendar add` on a fresh database printed a
traceback ending in "no such table: counters")."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from manyi.core import db as core_db
from manyi.core.migrate import upgrade
from tests.empty_database import empty_db, run

__all__ = ["empty_db"]
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

# One invocation of every command of every group (the guard runs before the arguments matter).
COMMANDS: list[list[str]] = [
    ["calendar", "add", "--start", "2026-09-30T17:30:00+08:00", "--working-hours", "2"],
    ["calendar", "between", "2026-11-23T10:00:00+08:00", "2026-11-23T14:00:00+08:00"],
    ["calendar", "check", "2026"],
    ["calendar", "seed"],
    ["calendar", "load-year", "2027", str(EXAMPLES / "2027.yaml")],
    ["user", "add", "wang", "--role", "agent"],
    ["user", "list"],
    ["user", "set-password", "wang", "--password-stdin"],
    ["org", "import", str(EXAMPLES / "org.csv")],
    ["org", "export", "never-written.csv"],
    ["order", "create", "--type", "fault", "--region", "430102", "--description", "宽带无法上网"],
    ["order", "show", "GD20261122000001"],
    ["order", "list"],
    ["order", "transition", "GD20261122000001", "contact"],
    ["setup", "--province", "湖南省", "--admin", "boss", "--password-stdin"],
    ["demo", "--customers", "10", "--orders", "0"],
    ["worker", "--once"],
    ["serve", "--port", "1"],
    ["db", "backup", "never-written.db"],
]
# What needs only the schema runs on a migrated database that is not set up yet.
SCHEMA_ONLY = {"calendar seed", "calendar load-year", "setup", "demo", "worker", "serve", "db backup"}


def _name(args: list[str]) -> str:
    return " ".join(args[:2]) if args[0] in ("calendar", "user", "org", "order", "db") else args[0]


def _one_line_error(code: int, output: str) -> str:
    assert code == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def test_every_command_on_an_empty_database_says_run_db_upgrade(empty_db: str, tmp_path: Path) -> None:
    for args in COMMANDS:
        line = _one_line_error(*run(args, input="a-long-password\n"))
        assert "is empty: run `manyi db upgrade` first" in line, (args, line)
    if empty_db.startswith("sqlite:///"):
        assert not Path(empty_db.removeprefix("sqlite:///")).exists()  # not even an empty file
    with core_db.get_engine().connect() as conn:
        assert inspect(conn).get_table_names() == []  # nothing was created on the way
    assert not Path("never-written.csv").exists() and not Path("never-written.db").exists()


def test_every_command_needing_setup_says_run_setup(empty_db: str) -> None:
    code, output = run(["db", "upgrade"])
    assert code == 0, output
    for args in COMMANDS:
        if _name(args) in SCHEMA_ONLY:
            continue
        line = _one_line_error(*run(args, input="a-long-password\n"))
        assert "is not set up" in line and "manyi setup --province" in line, (args, line)


def test_an_old_schema_is_named_with_its_revision(empty_db: str) -> None:
    upgrade("0007")
    line = _one_line_error(*run(["user", "list"]))
    assert "is at revision 0007, this release needs" in line and "manyi db upgrade" in line


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from manyi.core.settings import reset_settings

    monkeypatch.setenv("MANYI_DATABASE_URL", "postgresql://manyi:secret@127.0.0.1:1/manyi")
    reset_settings()
    core_db.set_engine(None)
    try:
        line = _one_line_error(*run(["order", "list"]))
    finally:
        core_db.set_engine(None)
        reset_settings()
    assert "cannot reach the database" in line and "127.0.0.1:1" in line
    assert "secret" not in line  # the password never shows


def test_serve_on_a_port_in_use_says_so_and_names_another(
    empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from manyi.core.settings import reset_settings

    monkeypatch.setenv("MANYI_SECRET_KEY", "k" * 48)  # no insecure-key warning before the one line
    reset_settings()
    assert run(["db", "upgrade"])[0] == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line_error(*run(["serve", "--port", str(port)]))
    assert f"port {port} on 127.0.0.1 is in use" in line and f"PORT={port + 100} make demo" in line
