"""Database fixtures: every database test runs on SQLite and, when reachable, PostgreSQL.

MANYI_TEST_POSTGRES_URL names a PostgreSQL server database to use (each test session creates and
drops its own scratch database there). MANYI_REQUIRE_POSTGRES=1 (set by .ci/run) turns an
unreachable PostgreSQL into an error instead of a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models

pytest_plugins = ["tests.operator_fixture"]

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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An engine with a fresh schema, on SQLite and on PostgreSQL; also set as the process engine."""
    if request.param == "sqlite":
        eng = core_db.make_engine(f"sqlite:///{tmp_path / 'manyi.db'}")
    else:
        eng = core_db.make_engine(request.getfixturevalue("pg_server_url"))
    _reset_schema(eng)
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
