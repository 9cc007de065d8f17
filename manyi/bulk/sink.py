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
from itertools import chain
from typing import Any, cast

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


def instants_text(us: np.ndarray, *, postgres: bool, null: str | None = None) -> list[str | None]:
    """Stored text of epoch-microsecond instants (NULL_TIME -> `null`), a whole column at a time."""
    none = us == NULL_TIME
    if none.all():
        return [null] * us.size
    days, in_day = np.divmod(np.where(none, us[~none][0], us), _DAY)
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
    if none.any():
        text[none] = null
    out: list[str | None] = text.tolist()
    return out


def check_columns(table: Table, columns: Sequence[str]) -> None:
    """Refuse to write a table whose columns changed since the bulk writer was written for it."""
    missing = {c.key for c in table.columns} - set(columns) - {"id"}
    if missing:
        raise RuntimeError(f"bulk writer: {table.name} has columns it does not fill: {sorted(missing)}")


NULL_TEXT = "\\N"  # NULL in COPY's text format
# COPY text escapes these; a JSON text's \uXXXX escapes are the usual reason a value has one.
_SPECIAL = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _escaped(values: list[str]) -> list[str]:
    """COPY text of strings: escaped in one pass over their concatenation, not one call per string."""
    joined = "\x00".join(values)  # PostgreSQL text cannot hold NUL, so it can separate them
    if joined.count("\x00") != len(values) - 1:
        raise ValueError("bulk writer: a text value holds a NUL character, which PostgreSQL refuses")
    if not any(c in joined for c, _ in _SPECIAL):
        return values
    for c, escape in _SPECIAL:
        joined = joined.replace(c, escape)
    return joined.split("\x00")


def _scalar_text(value: Any) -> str:
    if value is None:
        return NULL_TEXT
    if isinstance(value, str):
        return _escaped([value])[0]
    return str(value)  # int, float (shortest exact repr), bool (True/False: boolin takes both)


Memo = dict[int, tuple[Any, list[str]]]  # id of a chunk -> (the chunk, kept alive; its text)


def copy_texts(chunks: list[Any], memo: Memo) -> list[str]:
    """COPY text of a column given as chunks (lists or numpy arrays); a chunk that is one value
    repeated (a type, a state, a constant JSON text: most of them) is converted once, and a chunk
    met before (the group's order ids, in each table and each step's events) is not converted again."""
    out: list[str] = []
    for chunk in chunks:
        seen = memo.get(id(chunk))
        if seen is not None:
            out += seen[1]
            continue
        start = len(out)
        _convert(chunk, out)
        if len(out) - start > 64:
            memo[id(chunk)] = (chunk, out[start:])
    return out


def _convert(chunk: Any, out: list[str]) -> None:
    """Append the COPY text of one chunk of a column to out."""
    values = chunk.tolist() if isinstance(chunk, np.ndarray) else chunk
    n = len(values)
    if not n:
        return
    first = values[0]
    if values.count(first) == n:
        out += [_scalar_text(first)] * n
        return
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if kinds == {str}:
        texts = _escaped([v or "" for v in values] if nulls else values)
        out += [NULL_TEXT if v is None else t for v, t in zip(values, texts, strict=True)] if nulls else texts
    elif kinds <= {int, bool, float} and len(kinds) == 1 and not nulls:
        out += map(str, values)
    else:
        out += map(_scalar_text, values)


class Columns:
    """Rows of one table gathered column by column (instants as epoch microseconds), or row by row
    for the few orders built one at a time; turned into the database's values by finished().

    Each add_columns call is kept as one chunk per column, not copied value by value: most chunks
    of a group are one value repeated (a type, a state, a constant JSON text), which finished()
    turns into text once."""

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
                store.append(column)
        self.count += len(columns[0])

    def append(self, row: Sequence[Any]) -> None:
        self._rows.append(row)

    def _flush_rows(self) -> None:
        if self._rows:
            rows, self._rows = self._rows, []
            self.add_columns(list(zip(*rows, strict=True)))

    def finished(self, *, postgres: bool, memo: Memo | None = None) -> tuple[list[Any] | bytes, int]:
        """SQLite: the values row after row in one flat list (instants as the text the column
        type's bind processor would send). PostgreSQL: the rows as COPY text (a few bytes per
        value instead of an object, and the writer thread sends them without holding the GIL).
        And the row count. `memo` is shared by the tables of one batch."""
        self._flush_rows()
        if not self.count:  # a batch with no contact attempt, say
            return [], 0
        data, self._data = self._data, [[] for _ in self.names]  # dropped as soon as converted
        width = len(self.names)
        if postgres:
            memo = {} if memo is None else memo
            texts = [
                cast(list[str], instants_text(np.concatenate(chunks), postgres=True, null=NULL_TEXT))
                if instant
                else copy_texts(chunks, memo)
                for chunks, instant in zip(data, self._instant, strict=True)
            ]
            del data
            # Values and separators interleaved in one list, filled a column at a time by slice
            # assignment and joined once: no tuple and no join per row.
            pieces = (["", "\t"] * (width - 1) + ["", "\n"]) * self.count
            for position, column in enumerate(texts):
                pieces[2 * position :: 2 * width] = column
            return "".join(pieces).encode(), self.count
        flat: list[Any] = [None] * (self.count * width)
        for position, (chunks, instant) in enumerate(zip(data, self._instant, strict=True)):
            if instant:
                flat[position::width] = instants_text(np.concatenate(chunks), postgres=False)
            else:
                flat[position::width] = list(
                    chain.from_iterable(c.tolist() if isinstance(c, np.ndarray) else c for c in chunks)
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
        # Held while the connection is busy; other users take it too (re-entrant: the bulk writer holds
        # it around checks that take it again for a lookup).
        self.lock = threading.RLock()
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

    def encode(self, columns: Columns, memo: Memo | None = None) -> Callable[[], None] | None:
        """A table's rows turned into what the database is sent (pure computation, no I/O), as a
        job for submit(); None when there are no rows."""
        flat, count = columns.finished(postgres=self.postgres, memo=memo)
        if not count:
            return None
        return lambda: self._write(columns.table.name, columns.names, flat, count)

    def submit(self, job: Callable[[], None] | None) -> None:
        """Queue an encoded job (waits while two are already queued)."""
        if self._error is not None:
            self.close()
        if job is not None:
            self._jobs.put(job)

    def _write(self, table: str, columns: Sequence[str], data: list[Any] | bytes, count: int) -> None:
        names = ", ".join(columns)
        width = len(columns)
        cursor = self.connection.cursor()
        try:
            if isinstance(data, bytes):
                # The rows as COPY text already (Columns.finished): one write, no per-row dumping.
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write(data)
            else:
                # Many rows per INSERT: one statement step inserts them all without the GIL, where
                # executemany would take it back for every row. (Bigger statements measured no faster.)
                one = "(" + ", ".join("?" * width) + ")"
                per = min(500, 30_000 // width)
                statement = ""
                for start in range(0, count, per):
                    rows = min(per, count - start)
                    if rows != per or not statement:
                        statement = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * rows)
                    cursor.execute(statement, data[start * width : (start + rows) * width])
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


BULK_TABLES = ("work_orders", "sla_clocks", "order_events", "order_contacts", "order_callbacks")


def drop_secondary_indexes(session: Session) -> list[str]:
    """Drop the bulk tables' non-unique indexes (and, on PostgreSQL, their foreign keys, checked by a
    trigger per row); return the statements that rebuild them exactly as they were."""
    if is_postgres(session):
        tables = f"ARRAY[{', '.join(repr(t) for t in BULK_TABLES)}]::regclass[]"
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
