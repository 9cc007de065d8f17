"""A scratch PostgreSQL database for one benchmark run, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from manyi.core import db as core_db

PG_ADMIN = os.environ.get("MANYI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database(template: str | None = None) -> Iterator[str]:
    """Create a database on the benchmark server (a copy of `template`, a database URL, if given:
    nobody may be connected to it), yield its URL, drop it (even after a failure)."""
    name = f"manyi_bench_{uuid.uuid4().hex[:8]}"
    admin = core_db.make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template.rpartition("/")[2]}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
