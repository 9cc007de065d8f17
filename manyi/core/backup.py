"""`manyi db backup`: a consistent copy of the database while Manyi keeps running.

SQLite: the online backup API copies the pages under a read transaction, so writers may go on and
the copy is one consistent snapshot (a plain `cp` of a WAL database may not be). PostgreSQL: pg_dump
in its custom format (restore with pg_restore), the password passed in the environment, never on
the command line where `ps` shows it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from manyi.core.errors import ManyiError, ValidationFailed


class BackupFailed(ManyiError):
    status = 500
    code = "backup_failed"


def backup(engine: Engine, target: Path, *, overwrite: bool = False) -> int:
    """Write a backup of the engine's database to target; return its size in bytes."""
    if target.exists() and not overwrite:
        raise ValidationFailed(f"{target}: already exists; choose a new file name or pass --force")
    if not target.parent.is_dir():
        raise ValidationFailed(f"{target.parent}: no such directory")
    url = engine.url
    if url.get_backend_name() == "sqlite":
        source = url.database
        if not source or source == ":memory:":
            raise ValidationFailed("an in-memory SQLite database cannot be backed up")
        if not Path(source).exists():
            raise ValidationFailed(f"{source}: no such database file")
        partial = target.with_name(target.name + ".partial")
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
        partial.replace(target)  # a failed copy never leaves a file that looks like a backup
        return target.stat().st_size
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupFailed(
                "pg_dump not found: install the PostgreSQL client tools "
                "(Debian/Ubuntu: apt-get install postgresql-client), the server's major version or newer"
            )
        env = {**os.environ}
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
        done = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={dsn}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            first = (done.stderr.strip().splitlines() or ["no message"])[0]
            raise BackupFailed(f"pg_dump failed: {first}")
        return target.stat().st_size
    raise ValidationFailed(f"backups of {url.get_backend_name()} databases are not supported")
