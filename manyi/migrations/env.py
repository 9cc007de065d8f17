"""Alembic environment: runs against the URL in the config, with batch mode for SQLite."""

from __future__ import annotations

from alembic import context

from manyi.core.db import make_engine
from manyi.core.model_registry import load_all_models

config = context.config
target_metadata = load_all_models().metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
