"""Plain DBAPI statements for the few hot paths that run for every customer request.

SQLAlchemy Core costs ~100-250 µs of CPU per statement here (compile-cache lookup, execution context,
result wrapping); creating an order needs five statements, and with 2 cores that overhead, not the
database, capped order creation far below the target. These statements are built once per table,
column list and row count from the same Table metadata, and every value goes through the column
type's own SQLAlchemy bind processor, so what reaches the database is exactly what Core would send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


def _placeholder(dialect: Dialect) -> str:
    return "%s" if dialect.paramstyle in ("format", "pyformat") else "?"


def cursor(session: Session) -> Any:
    """A DBAPI cursor on the session's connection, inside its transaction."""
    return session.connection().connection.cursor()


class FastInsert:
    """INSERT of fixed columns into one table, one or several rows per statement, optional RETURNING."""

    def __init__(self, table: Table, columns: Sequence[str], returning: str | None = None) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.returning = returning
        self._sql: dict[tuple[str, int], str] = {}
        self._binds: dict[str, list[Callable[[Any], Any] | None]] = {}

    def _prepare(self, dialect: Dialect, rows: int) -> tuple[str, list[Callable[[Any], Any] | None]]:
        key = (dialect.name, rows)
        sql = self._sql.get(key)
        if sql is None:
            mark = _placeholder(dialect)
            quote = dialect.identifier_preparer.quote
            one = "(" + ", ".join([mark] * len(self.columns)) + ")"
            sql = (
                f"INSERT INTO {quote(self.table.name)} ({', '.join(quote(c) for c in self.columns)}) "
                f"VALUES {', '.join([one] * rows)}"
            )
            if self.returning:
                sql += f" RETURNING {quote(self.returning)}"
            self._sql[key] = sql
        binds = self._binds.get(dialect.name)
        if binds is None:
            binds = self._binds[dialect.name] = [
                self.table.c[name].type._cached_bind_processor(dialect) for name in self.columns
            ]
        return sql, binds

    def _params(self, rows: Sequence[dict[str, Any]], binds: list[Callable[[Any], Any] | None]) -> list[Any]:
        params: list[Any] = []
        for row in rows:
            for name, bind in zip(self.columns, binds, strict=True):
                value = row.get(name)
                params.append(bind(value) if bind is not None and value is not None else value)
        return params

    def execute(self, session: Session, rows: Sequence[dict[str, Any]]) -> Any:
        """Insert rows in one statement; return the RETURNING value of the first row (or None)."""
        if not rows:
            return None
        dialect = session.get_bind().dialect
        sql, binds = self._prepare(dialect, len(rows))
        cur = cursor(session)
        try:
            cur.execute(sql, self._params(rows, binds))
            return cur.fetchone()[0] if self.returning else None
        finally:
            cur.close()


def scalar(session: Session, sql: str) -> Any:
    """The single value of a parameterless query (sequence values, version stamps)."""
    cur = cursor(session)
    try:
        cur.execute(sql)
        row = cur.fetchone()
        return row[0] if row else None
    finally:
        cur.close()
