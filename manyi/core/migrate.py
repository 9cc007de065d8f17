"""Run Alembic migrations programmatically (used by `manyi db upgrade`, the demo and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config pointing at Manyi's migrations and the given (or configured) URL."""
    from manyi.core.settings import get_settings

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(revision: str = "head", *, url: str | None = None) -> None:
    """Upgrade the database at url (default: configured) to revision."""
    command.upgrade(alembic_config(url), revision)
