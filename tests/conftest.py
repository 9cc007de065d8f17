"""Database fixtures: every database test runs on SQLite and, when reachable, PostgreSQL.

MANYI_TEST_POSTGRES_URL names a PostgreSQL server database to use (each test session creates and
drops its own scratch database there). MANYI_REQUIRE_POSTGRES=1 (set by .ci/run) turns an
unreachable PostgreSQL into an error instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

# The suite runs servers and workers (some as child processes) with the built-in secret key: dev mode
# lets them start, with a warning. Production, the default, refuses; tests/core/test_secret_key.py
# checks that refusal explicitly.
os.environ.setdefault("MANYI_ENV", "dev")

from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models

# Shared fixtures (tests/fixtures/): the operator, API clients, console staff and the live browser.
pytest_plugins = ["tests.fixtures.operator", "tests.fixtures.api", "tests.fixtures.console"]

PG_URL = os.environ.get("MANYI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("MANYI_REQUIRE_POSTGRES") == "1"


def _pg_available() -> bool:
    try:
        engine = core_db.make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


_PG_OK: bool | None = None


def pg_ok() -> bool:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = _pg_available()
        if not _PG_OK and REQUIRE_PG:
            raise RuntimeError(f"PostgreSQL required (MANYI_REQUIRE_POSTGRES=1) but {PG_URL} is unreachable")
    return _PG_OK


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """Create a scratch PostgreSQL database for this test session and drop it afterwards."""
    if not pg_ok():
        pytest.skip("PostgreSQL not reachable (set MANYI_TEST_POSTGRES_URL)")
    name = f"manyi_test_{uuid.uuid4().hex[:8]}"
    admin = core_db.make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_schema(engine: Engine) -> None:
    metadata = load_all_models().metadata
    metadata.drop_all(engine)
    metadata.create_all(engine)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the empty schema, built once: each test starts from a copy of it
    (a file copy takes a millisecond, create_all tens)."""
    path = tmp_path_factory.mktemp("template") / "manyi.db"
    eng = core_db.make_engine(f"sqlite:///{path}")
    load_all_models().metadata.create_all(eng)
    eng.dispose()
    with closing(sqlite3.connect(path)) as conn:  # all in the main file, nothing in a write-ahead log
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


# The PostgreSQL scratch database keeps its schema from test to test: emptying 29 tables and
# restarting their sequences takes a few milliseconds, dropping and creating them ~200 ms. A test
# that changed the schema itself (a bulk load that failed half way, say) is caught by the catalog
# fingerprint and gets a freshly created schema.
_FINGERPRINT_SQL = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
         || ':' || coalesce(column_default, '') AS x
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT conrelid::regclass::text || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = 'public'
) AS catalog
"""
_EMPTY_SQL = """
SET LOCAL session_replication_role = replica;
{deletes}
DO $$ DECLARE s regclass; BEGIN
  FOR s IN SELECT c.oid FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace
  LOOP EXECUTE 'ALTER SEQUENCE ' || s::text || ' RESTART'; END LOOP;
END $$;
"""
_pg_schema: dict[str, str] = {}  # database URL -> fingerprint of the schema create_all made


def _fingerprint(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql(_FINGERPRINT_SQL).scalar_one())


def _emptied(engine: Engine) -> bool:
    """Empty every table and restart the sequences; False where the role may not skip foreign-key
    triggers (session_replication_role needs a superuser), and the caller recreates the schema."""
    tables = load_all_models().metadata.sorted_tables
    deletes = "\n".join(f'DELETE FROM "{t.name}";' for t in reversed(tables))
    try:
        with engine.begin() as conn:  # no parameters: one round trip in the simple query protocol
            conn.exec_driver_sql(_EMPTY_SQL.format(deletes=deletes))
    except DBAPIError:
        return False
    return True


def _fresh_pg_schema(engine: Engine, url: str) -> None:
    """An empty schema as create_all makes it, reusing the tables of the previous test."""
    expected = _pg_schema.get(url)
    if expected is not None and _fingerprint(engine) == expected and _emptied(engine):
        return
    _reset_schema(engine)
    _pg_schema[url] = _fingerprint(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine with a fresh schema, on SQLite and on PostgreSQL; also set as the process engine."""
    if request.param == "sqlite":
        path = tmp_path / "manyi.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = core_db.make_engine(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("pg_server_url")
        eng = core_db.make_engine(url)
        _fresh_pg_schema(eng, url)
    core_db.set_engine(eng)
    yield eng
    core_db.set_engine(None)
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh schema; the test commits or not as it needs."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s:
        yield s


# One Chromium for the whole run, wherever its tests live (console, operations): Playwright's sync
# API cannot start a second instance while the first one's loop runs in this thread.
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("MANYI_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if REQUIRE_BROWSER:
            raise RuntimeError(
                "MANYI_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (apt-get install chromium)"
            )
        pytest.skip("Chromium not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()
