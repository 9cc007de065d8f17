"""An empty database (no tables at all) on SQLite and PostgreSQL, set as the CLI's configured one:
what an operator starts from before `manyi db upgrade`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from manyi.cli import app
from manyi.core import db as core_db
from manyi.core.settings import reset_settings
from tests.conftest import PG_URL, pg_ok


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The URL of a database with nothing in it, configured as MANYI_DATABASE_URL."""
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'manyi.db'}"
    else:
        if not pg_ok():
            pytest.skip("PostgreSQL not reachable (set MANYI_TEST_POSTGRES_URL)")
        name = f"manyi_empty_{uuid.uuid4().hex[:8]}"
        admin = core_db.make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{PG_URL.rpartition('/')[0]}/{name}"
    monkeypatch.setenv("MANYI_DATABASE_URL", url)
    reset_settings()
    core_db.set_engine(None)
    yield url
    if core_db._engine is not None:
        core_db._engine.dispose()
    core_db.set_engine(None)
    reset_settings()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(args: list[str], input: str | None = None) -> tuple[int, str]:
    """Run `manyi ARGS` in this process; (exit code, stdout and stderr as one string)."""
    result = CliRunner().invoke(app, args, input=input)
    return result.exit_code, result.output
