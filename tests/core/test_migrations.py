"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from manyi.core.db import make_engine
from manyi.core.migrate import upgrade
from manyi.core.model_registry import load_all_models
from manyi.orders.fulltext import NOT_MODELLED


def _modelled(name: str | None, type_: str, _parent: object) -> bool:
    """The full-text index's objects are made by SQL the models cannot describe (manyi.orders.fulltext)."""
    return not (name and name.startswith(NOT_MODELLED))


def _assert_matches_models(url: str) -> None:
    upgrade("head", url=url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False, "include_name": _modelled})
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


def _numbers_continue_after_upgrade(url: str) -> None:
    """A database from before 0002 (daily numbers) keeps getting numbers that never repeat one."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from manyi.calendars.service import seed_calendars
    from manyi.orders.service import create_order
    from manyi.sla.policies import seed_default_policies

    upgrade("0001", url=url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO regions (code, name, level) VALUES ('330106', '西湖区', 'district')")
            )
            for number in ("GD20261121000007", "GD20261122000003"):
                conn.execute(
                    text(
                        "INSERT INTO work_orders (number, type, channel, priority, severity, status, stage,"
                        " description, region_code, reopen_count, contact_attempts, sla_provisional,"
                        " created_at, updated_at, version) VALUES (:n, 'fault', 'hotline', 3, 'minor',"
                        " 'acknowledged', 'accepted', 'x', '330106', 0, 0, false, :t, :t, 1)"
                    ),
                    {"n": number, "t": datetime(2026, 11, 21, tzinfo=UTC).replace(tzinfo=None)},
                )
        upgrade("head", url=url)
        with Session(engine, expire_on_commit=False) as s, s.begin():
            seed_calendars(s)
            seed_default_policies(s)
            order = create_order(s, type="fault", description="d", channel="hotline", region_code="330106")
        assert int(order.number[10:]) == 8
    finally:
        engine.dispose()


def test_order_numbers_continue_after_the_sequence_migration_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _numbers_continue_after_upgrade(f"sqlite:///{tmp_path / 'm.db'}")


def test_order_numbers_continue_after_the_sequence_migration_on_postgresql(pg_server_url: str) -> None:
    import uuid

    name = f"manyi_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _numbers_continue_after_upgrade(f"{pg_server_url.rpartition('/')[0]}/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
