"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from manyi.core.db import make_engine
from manyi.core.migrate import upgrade
from manyi.core.model_registry import load_all_models


def _assert_matches_models(url: str) -> None:
    upgrade("head", url=url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, load_all_models().metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert "work_orders" in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    # Upgrading again is a no-op, so `make demo` can run it every time.
    upgrade("head", url=url)


def test_migrations_match_models_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _assert_matches_models(f"sqlite:///{tmp_path / 'm.db'}")


def test_migrations_match_models_on_postgresql(pg_server_url: str) -> None:
    import uuid

    from sqlalchemy import text

    # A database of its own: the shared test database holds create_all tables.
    name = f"manyi_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _assert_matches_models(f"{pg_server_url.rpartition('/')[0]}/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
