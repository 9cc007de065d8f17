"""Big-batch writes for the bulk writer: COPY on PostgreSQL, executemany on SQLite, in a thread.

Values go in as the column types' SQLAlchemy bind processors would send them (see manyi.core.fastsql):
instants as SQLite's stored text (naive UTC, `YYYY-MM-DD HH:MM:SS.ffffff`) or as ISO text with a UTC
offset for PostgreSQL, formatted for a whole column at once because a million orders carry tens of
millions of them. The writer thread holds the connection while a batch goes in; the DBAPIs release
the GIL inside the database call, so the next batch is computed meanwhile on the other core.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from manyi.core.db import is_postgres

US = 1_000_000
NULL_TIME = -(1 << 62)  # None in an instant column of a row being built
_DAY = 86_400 * US
BULK_CACHE_KB = 256 * 1024
_EPOCH_DAY = date(1970, 1, 1)
# The time of day of every second, with the six zero microsecond digits most instants have
# (deadlines are whole seconds): SQLite's stored text, and ISO text with the offset for PostgreSQL.
_CLOCK = {
    postgres: np.array(
        [
            f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000{'+00:00' if postgres else ''}"
            for s in range(86400)
        ],
        dtype=object,
    )
    for postgres in (False, True)
}


def instants_text(us: np.ndarray, *, postgres: bool) -> list[str | None]:
    """Stored text of epoch-microsecond instants (NULL_TIME -> None), a whole column at a time."""
    null = us == NULL_TIME
    if null.all():
        return [None] * us.size
    days, in_day = np.divmod(np.where(null, us[~null][0], us), _DAY)
    seconds, micro = np.divmod(in_day, US)
    first = int(days.min())
    sep = "T" if postgres else " "
    day_text = np.array(
        [f"{_EPOCH_DAY + timedelta(days=d)}{sep}" for d in range(first, int(days.max()) + 1)], dtype=object
    )
    text = day_text[days - first] + _CLOCK[postgres][seconds]
    odd = np.flatnonzero(micro)
    if odd.size:
        suffix = "+00:00" if postgres else ""
        text[odd] = [
            t[: -12 if postgres else -6] + f"{m:06d}{suffix}"
            for t, m in zip(text[odd].tolist(), micro[odd].tolist(), strict=True)
        ]
    if null.any():
        text[null] = None
    out: list[str | None] = text.tolist()
    return out


def check_columns(table: Table, columns: Sequence[str]) -> None:
    """Refuse to write a table whose columns changed since the bulk writer was written for it."""
    missing = {c.key for c in table.columns} - set(columns) - {"id"}
    if missing:
        raise RuntimeError(f"bulk writer: {table.name} has columns it does not fill: {sorted(missing)}")


class Columns:
    """Rows of one table gathered column by column (instants as epoch microseconds), or row by row
    for the few orders built one at a time; turned into the database's values by finished()."""

    def __init__(self, table: Table, names: Sequence[str], instants: Sequence[str]) -> None:
        check_columns(table, names)
        self.table, self.names = table, tuple(names)
        self._instant = [name in instants for name in names]
        self._data: list[list[Any]] = [[] for _ in names]
        self._rows: list[Sequence[Any]] = []
        self.count = 0

    def add_columns(self, columns: Sequence[Sequence[Any] | np.ndarray]) -> None:
        """Append rows given as one sequence per column (numpy arrays or lists, equally long)."""
        self._flush_rows()
        for store, instant, column in zip(self._data, self._instant, columns, strict=True):
            if instant:
                store.append(np.asarray(column, dtype=np.int64))
            else:
                store.extend(column.tolist() if isinstance(column, np.ndarray) else column)
        self.count += len(columns[0])

    def append(self, row: Sequence[Any]) -> None:
        self._rows.append(row)

    def _flush_rows(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            self.add_columns(list(zip(*rows, strict=True)))

    def finished(self, *, postgres: bool) -> tuple[list[Any], int]:
        """The values row after row in one flat list (instants as the text the column type's bind
        processor would send), and the number of rows."""
        self._flush_rows()
        width = len(self.names)
        flat: list[Any] = [None] * (self.count * width)
        for position, (store, instant) in enumerate(zip(self._data, self._instant, strict=True)):
            flat[position::width] = (
                instants_text(np.concatenate(store), postgres=postgres) if instant else store
            )
        return flat, self.count


class Sink:
    """Writes batches on the session's connection from a thread; one batch at a time, in order."""

    def __init__(self, session: Session) -> None:
        self.postgres = is_postgres(session)
        self.connection = session.connection().connection  # the DBAPI connection, in the transaction
        self._cache_pages: int | None = None
        if not self.postgres:
            # SQLite's default page cache (2 MB) cannot hold the index pages a big load touches at
            # random (customer, owner, status...): give this connection more while it loads.
            cursor = self.connection.cursor()
            self._cache_pages = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KB}")
            cursor.close()
        self.lock = threading.Lock()  # held while the connection is busy; other users take it too
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="manyi-bulk-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._error is not None:
                continue  # drain: the first error is reported by close()
            try:
                with self.lock:
                    job()
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread in close()
                self._error = error

    def put(self, columns: Columns) -> None:
        """Queue a table's rows (waits while two batches are already queued)."""
        if self._error is not None:
            self.close()
        flat, count = columns.finished(postgres=self.postgres)
        if count:
            self._jobs.put(lambda: self._write(columns.table.name, columns.names, flat, count))

    def _write(self, table: str, columns: Sequence[str], flat: list[Any], count: int) -> None:
        names = ", ".join(columns)
        width = len(columns)
        cursor = self.connection.cursor()
        try:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for start in range(0, count * width, width):
                        copy.write_row(flat[start : start + width])
            else:
                # Many rows per INSERT: one statement step inserts them all without the GIL, where
                # executemany would take it back for every row.
                one = "(" + ", ".join("?" * width) + ")"
                per = min(500, 30_000 // width)
                statement = ""
                for start in range(0, count, per):
                    rows = min(per, count - start)
                    if rows != per or not statement:
                        statement = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * rows)
                    cursor.execute(statement, flat[start * width : (start + rows) * width])
        finally:
            cursor.close()

    def close(self) -> None:
        """Wait for every queued batch; raise the first error the writer met."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        if self._cache_pages is not None:
            cursor = self.connection.cursor()
            cursor.execute(f"PRAGMA cache_size = {int(self._cache_pages)}")
            cursor.close()
            self._cache_pages = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


BULK_TABLES = ("work_orders", "sla_clocks", "order_events")


def drop_secondary_indexes(session: Session) -> list[str]:
    """Drop the bulk tables' non-unique indexes (and, on PostgreSQL, their foreign keys, checked by a
    trigger per row); return the statements that rebuild them exactly as they were."""
    if is_postgres(session):
        tables = "ARRAY['work_orders', 'sla_clocks', 'order_events']::regclass[]"
        indexes = session.execute(
            text(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                f"WHERE indrelid = ANY({tables}) AND NOT indisprimary AND NOT indisunique"
            )
        ).all()
        keys = session.execute(
            text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                f"WHERE contype = 'f' AND conrelid = ANY({tables})"
            )
        ).all()
        for table, name, _ in keys:
            session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            session.execute(text(f"DROP INDEX {name}"))
        # Rebuilt by one sort each; a foreign key added back is checked by one join, not row by row.
        return [d for _, d in indexes] + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in keys]
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    indexes = session.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({names}) AND sql NOT LIKE 'CREATE UNIQUE%'"
        )
    ).all()
    for name, _ in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    return [d for _, d in indexes]


def restore_indexes(session: Session, statements: list[str]) -> None:
    """Run the statements drop_secondary_indexes returned."""
    for statement in statements:
        session.execute(text(statement))
