"""Database engine, declarative base, column types and the unit of work.

SQLite (WAL) is the embedded default; PostgreSQL via psycopg 3 is production. Services flush but
never commit: the unit of work opened by a request, a CLI command or a worker job commits or rolls
back as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: store aware UTC instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so two writers queue on busy_timeout instead of one failing
    # mid-transaction with "database is locked" after reading stale data.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for url with the settings Manyi relies on."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves

        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """Return the process-wide engine for the configured database URL."""
    global _engine, _factory
    if _engine is None:
        from manyi.core.settings import get_settings

        settings = get_settings()
        _engine = make_engine(settings.database_url, echo=settings.echo_sql)
        _factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the process at engine (tests, CLI --database)."""
    global _engine, _factory
    _engine = engine
    _factory = sessionmaker(engine, expire_on_commit=False) if engine is not None else None


def session_factory() -> sessionmaker[Session]:
    get_engine()
    assert _factory is not None
    return _factory


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Open a session that commits when the block succeeds and rolls back when it raises."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def _column_default(column: Any) -> Any:
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    return default.arg(None) if default.is_callable else default.arg


_fast_inserts: dict[str, Any] = {}


def insert_persistent(session: Session, model: type[T], values: dict[str, Any]) -> T:
    """INSERT one row and return it as a persistent ORM object, without the unit of work's per-object
    bookkeeping: for hot paths (order creation) where that costs more than the round trip. Every
    column gets a value (given, its default, or None), so reading any attribute later never goes
    back to the database."""
    from manyi.core.fastsql import FastInsert

    table = model.__table__  # type: ignore[attr-defined]
    pk = table.primary_key.columns.values()[0].key
    fast = _fast_inserts.get(table.name)
    if fast is None:
        columns = [c.key for c in table.columns if c.key != pk]
        fast = _fast_inserts[table.name] = FastInsert(table, columns, returning=pk)
    row = {c.key: values[c.key] if c.key in values else _column_default(c) for c in table.columns}
    row[pk] = fast.execute(session, [row])
    obj = model(**row)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
