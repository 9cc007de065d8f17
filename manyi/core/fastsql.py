"""Plain DBAPI statements for the few hot paths that run for every customer request.

SQLAlchemy Core costs ~100-250 µs of CPU per statement here (compile-cache lookup, execution context,
result wrapping); creating an order needs five statements, and with 2 cores that overhead, not the
database, capped order creation far below the target. These statements are built once per table,
column list and row count from the same Table metadata, and every value goes through the column
type's own SQLAlchemy bind processor, so what reaches the database is exactly what Core would send.

On PostgreSQL through psycopg, LinkedInsert writes a row and the rows that reference it (an order,
its SLA clocks and its history event) in one statement: one round trip instead of one per table and,
once psycopg has prepared it (after five runs on a connection), no parse or plan on the server: an
unprepared run costs the server twice the CPU. Its `$n` placeholders go through psycopg's RawCursor,
which skips the `%s` parsing psycopg would otherwise redo on every call for a statement with more
than 50 parameters (its query cache stops there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

Bind = Callable[[Any], Any] | None


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
        self._binds: dict[str, list[Bind]] = {}

    def binds(self, dialect: Dialect) -> list[Bind]:
        """The bind processor of each column for dialect (None where the value goes as it is)."""
        binds = self._binds.get(dialect.name)
        if binds is None:
            binds = self._binds[dialect.name] = [
                self.table.c[name].type._cached_bind_processor(dialect) for name in self.columns
            ]
        return binds

    def _prepare(self, dialect: Dialect, rows: int) -> tuple[str, list[Bind]]:
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
        return sql, self.binds(dialect)

    def _params(self, rows: Sequence[Mapping[str, Any]], binds: list[Bind]) -> list[Any]:
        params: list[Any] = []
        pairs = list(zip(self.columns, binds, strict=True))
        for row in rows:
            params += _row_params(row, pairs)
        return params

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> Any:
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


def _row_params(row: Mapping[str, Any], pairs: Sequence[tuple[str, Bind]]) -> list[Any]:
    """The values of row's columns in pairs' order, each through its bind processor (not None)."""
    get = row.get
    return [v if (v := get(name)) is None or bind is None else bind(v) for name, bind in pairs]


def linked_insert_supported(session: Session) -> bool:
    """True on PostgreSQL through psycopg 3, where LinkedInsert can run."""
    dialect = session.get_bind().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


class LinkedInsert:
    """PostgreSQL (psycopg): INSERT one parent row and child rows that reference it in one statement.

    A data-modifying CTE: the parent INSERT ... RETURNING, one INSERT per child table whose foreign
    key column reads the new parent key, and a final SELECT of the parent's returned columns. The
    statements of a WITH run as one, so the foreign keys are checked at its end, with every row in.

    `expressions` replaces a parent column's placeholder with SQL around it (`{}` marks where the
    value goes), and `ctes` are extra WITH items those expressions may read, e.g. a sequence value
    taken in the same statement.
    """

    def __init__(
        self,
        parent: FastInsert,
        children: Sequence[tuple[FastInsert, str]],
        *,
        returning: Sequence[str],
        expressions: Mapping[str, str] | None = None,
        ctes: Sequence[str] = (),
    ) -> None:
        self.parent = parent
        self.children = tuple(children)
        self.returning = tuple(returning)
        self.expressions = dict(expressions or {})
        self.ctes = tuple(ctes)
        pk = parent.table.primary_key.columns.values()
        assert len(pk) == 1, "LinkedInsert needs a single-column primary key"
        self.key = pk[0].name
        self._sql: dict[tuple[int, ...], str] = {}
        self._pairs: dict[str, tuple[list[tuple[str, Bind]], list[list[tuple[str, Bind]]]]] = {}

    def _columns(self, dialect: Dialect) -> tuple[list[tuple[str, Bind]], list[list[tuple[str, Bind]]]]:
        """(column, bind processor) of the parent, and of each child without its foreign key."""
        pairs = self._pairs.get(dialect.name)
        if pairs is None:
            pairs = self._pairs[dialect.name] = (
                list(zip(self.parent.columns, self.parent.binds(dialect), strict=True)),
                [
                    [(c, b) for c, b in zip(child.columns, child.binds(dialect), strict=True) if c != fk]
                    for child, fk in self.children
                ],
            )
        return pairs

    def _build(self, dialect: Dialect, counts: tuple[int, ...]) -> str:
        quote = dialect.identifier_preparer.quote
        n = 0

        def mark() -> str:
            nonlocal n
            n += 1
            return f"${n}"

        parent_values = ", ".join(self.expressions.get(c, "{}").format(mark()) for c in self.parent.columns)
        items = [
            *self.ctes,
            f"parent AS (INSERT INTO {quote(self.parent.table.name)} "
            f"({', '.join(quote(c) for c in self.parent.columns)}) VALUES ({parent_values}) "
            f"RETURNING {', '.join(quote(c) for c in (self.key, *self.returning))})",
        ]
        link = f"(SELECT {quote(self.key)} FROM parent)"
        for i, ((child, fk), count) in enumerate(zip(self.children, counts, strict=True)):
            if not count:
                continue
            rows = ", ".join(
                "(" + ", ".join(link if c == fk else mark() for c in child.columns) + ")"
                for _ in range(count)
            )
            items.append(
                f"child{i} AS (INSERT INTO {quote(child.table.name)} "
                f"({', '.join(quote(c) for c in child.columns)}) VALUES {rows})"
            )
        returned = ", ".join(quote(c) for c in (self.key, *self.returning))
        return f"WITH {', '.join(items)} SELECT {returned} FROM parent"

    def execute(
        self,
        session: Session,
        parent_row: Mapping[str, Any],
        child_rows: Sequence[Sequence[Mapping[str, Any]]],
    ) -> tuple[Any, ...]:
        """Insert the rows; return the parent's key followed by its `returning` columns."""
        import psycopg

        dialect = session.get_bind().dialect
        counts = tuple(len(rows) for rows in child_rows)
        sql = self._sql.get(counts)
        if sql is None:
            sql = self._sql[counts] = self._build(dialect, counts)
        parent_pairs, child_pairs = self._columns(dialect)
        params = _row_params(parent_row, parent_pairs)
        for pairs, rows in zip(child_pairs, child_rows, strict=True):
            for row in rows:
                params += _row_params(row, pairs)
        connection: Any = session.connection().connection.driver_connection
        cur = psycopg.RawCursor(connection)
        try:
            cur.execute(sql, params)
            returned = cur.fetchone()
            assert returned is not None
            return tuple(returned)
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
