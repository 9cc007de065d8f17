"""Full-text search over an order's number, title and description, for Chinese as well as Latin text.

SQLite: an FTS5 table with the trigram tokenizer (Chinese has no spaces between words; any three
characters in a row are indexed, so "无法上网" is found inside "宽带无法上网了"), kept in step with
work_orders by triggers, so every writer (services, bulk loader, imports, raw SQL) is covered.
PostgreSQL: a GIN pg_trgm index on the same text, used by ILIKE '%word%'. Where the extension cannot
be created (a managed database that forbids it) the search still works, by scanning, and a warning
says why it is slow. Words of one or two characters cannot use a trigram index on either database:
they are matched with LIKE, newest orders first, which stops at the first page of hits.

The index is made by `install` from both the models' create_all (tests, `manyi db init` on an
empty database) and migration 0017, so both ways end in the same schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    column,
    event,
    func,
    literal_column,
    or_,
    text,
)

from manyi.core.logging import get_logger
from manyi.orders.models import WorkOrder

log = get_logger("manyi.orders.fulltext")

FTS_TABLE = "work_order_text"
PG_INDEX = "ix_work_orders_text_trgm"
TRIGRAM = 3  # characters a word needs for the index to find it
# Objects the models do not describe (an FTS5 table and its shadow tables, the expression index):
# the migration test's schema comparison leaves them out.
NOT_MODELLED = (FTS_TABLE, PG_INDEX)

_BODY = "coalesce(new.number, '') || ' ' || coalesce(new.title, '') || ' ' || coalesce(new.description, '')"
_PG_BODY = "(coalesce(number, '') || ' ' || coalesce(title, '') || ' ' || description)"

SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(body, tokenize='trigram')",
    f"""CREATE TRIGGER IF NOT EXISTS work_orders_text_insert AFTER INSERT ON work_orders BEGIN
          INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, {_BODY});
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS work_orders_text_update
          AFTER UPDATE OF number, title, description ON work_orders BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
          INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, {_BODY});
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS work_orders_text_delete AFTER DELETE ON work_orders BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
]
SQLITE_FILL = f"""INSERT INTO {FTS_TABLE}(rowid, body)
    SELECT id, coalesce(number, '') || ' ' || coalesce(title, '') || ' ' || coalesce(description, '')
    FROM work_orders"""
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS work_orders_text_insert",
    "DROP TRIGGER IF EXISTS work_orders_text_update",
    "DROP TRIGGER IF EXISTS work_orders_text_delete",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def install(connection: Connection) -> bool:
    """Create the full-text index for the connection's database; False when it had to do without."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:  # a create_all after drop_all finds the old table orphaned
            connection.exec_driver_sql(statement)
        for statement in SQLITE_DDL:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(SQLITE_FILL)
        return True
    if connection.dialect.name == "postgresql":
        try:
            with connection.begin_nested():
                connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - any refusal: search works without the index
            log.warning(
                "fulltext_without_pg_trgm",
                reason=str(exc).splitlines()[0],
                effect="order text search scans; ask the DBA to run CREATE EXTENSION pg_trgm",
            )
            return False
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON work_orders USING gin ({_PG_BODY} gin_trgm_ops)"
        )
        return True
    return False


def uninstall(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


@event.listens_for(WorkOrder.__table__, "after_create")
def _after_create(_table: Any, connection: Connection, **_kw: Any) -> None:
    install(connection)


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words_of(query: str) -> list[str]:
    """The words of a search box, at most five (each must occur)."""
    return [w for w in query.split() if w][:5]


def text_matches(dialect: str, words: list[str]) -> ColumnElement[bool]:
    """Orders whose number, title or description contain every word (case-insensitive for Latin)."""
    conditions: list[ColumnElement[bool]] = []
    for word in words:
        pattern = f"%{_escaped(word)}%"
        if dialect == "sqlite" and len(word) >= TRIGRAM:
            indexed = (
                text(f"SELECT rowid FROM {FTS_TABLE} WHERE body LIKE :p ESCAPE '\\'")
                .bindparams(p=pattern)
                .columns(column("rowid", Integer))
            )
            conditions.append(WorkOrder.id.in_(indexed))
        elif dialect == "postgresql":
            conditions.append(literal_column(_PG_BODY).ilike(pattern, escape="\\"))
        else:
            title = func.coalesce(WorkOrder.title, "")
            conditions.append(
                or_(
                    WorkOrder.number.like(pattern, escape="\\"),
                    title.like(pattern, escape="\\"),
                    WorkOrder.description.like(pattern, escape="\\"),
                )
            )
    return and_(*conditions)
