"""Alembic environment: runs against the URL in the config, with batch mode for SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from manyi.core.db import make_engine
from manyi.core.model_registry import load_all_models

config = context.config
target_metadata = load_all_models().metadata


def _pragma(connection: Connection, setting: str) -> None:
    """Set a SQLite pragma on the raw connection, outside SQLAlchemy's transaction (this engine's
    sqlite3 connections are in autocommit mode: Manyi emits BEGIN IMMEDIATE itself)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(f"PRAGMA {setting}")


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copy, drop and rename: with foreign keys enforced, dropping
            # a table that other rows reference fails. The check is switched off for the migration
            # (outside any transaction, where SQLite accepts it) and the result verified after it.
            _pragma(connection, "foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
        if sqlite:
            _pragma(connection, "foreign_keys=ON")
    engine.dispose()


run_migrations_online()
