"""Database engine, declarative base, column types and the unit of work.

SQLite (WAL) is the embedded default; PostgreSQL via psycopg 3 is production. Services flush but
never commit: the unit of work opened by a request, a CLI command or a worker job commits or rolls
back as a whole.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, exc, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from manyi.core.limits import check_flushed_text

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


# Both databases refuse the same text: NUL characters anywhere, more than a String(n) column holds.
event.listen(Session, "before_flush", check_flushed_text)

# JSONB on PostgreSQL (indexable), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    return pragmas


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so two writers queue on busy_timeout instead of one failing
    # mid-transaction with "database is locked" after reading stale data.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str,
    *,
    echo: bool = False,
    statement_timeout_seconds: float | None = None,
    connect_timeout_seconds: int | None = None,
    pool_timeout_seconds: float | None = None,
) -> Engine:
    """Create an engine for url with the settings Manyi relies on.

    A database that refuses, drops or never answers a connection, or a statement that runs too
    long, raises within the timeouts (default: manyi.core.settings), and the HTTP layer answers 503.
    The statement timeout is opt-in (the process engine sets it; migrations and batch jobs that
    build their own engine run unbounded)."""
    from manyi.core.settings import get_settings

    settings = get_settings()
    connect_timeout = connect_timeout_seconds or settings.db_connect_timeout_seconds
    pool_timeout = pool_timeout_seconds or settings.db_pool_timeout_seconds
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        busy = settings.sqlite_busy_timeout_seconds
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy},
            poolclass=StaticPool if memory else None,
            **({} if memory else {"pool_timeout": pool_timeout}),
        )
        event.listen(engine, "connect", _sqlite_pragmas(int(busy * 1000)))

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves

        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": max(1, int(connect_timeout))}
    if statement_timeout_seconds:
        # Sent at connection start-up: no extra round trip per connection or statement.
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_seconds * 1000)}"
    engine = create_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=20,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
    )
    _ping_when_in_doubt(engine)
    return engine


# A pooled connection idle longer than this is pinged before use (a NAT or firewall may have dropped
# it silently); one handed back moments ago is used as it is unless its socket says otherwise.
PING_AFTER_IDLE_SECONDS = 5.0
_CHECKED_IN = "manyi_checked_in"


def _socket_has_news(dbapi_connection: Any) -> bool:
    """True when an idle connection's socket is readable: the server closed it or said something
    (a terminated backend, a restart); a healthy idle connection has nothing to read."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return True  # not psycopg 3: no cheap look, so ping
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except Exception:  # closed or broken: let the ping find out
        return True
    return bool(readable)


def _ping_when_in_doubt(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip per checkout.

    pool_pre_ping costs a round trip on every checkout, i.e. on every request and every order
    created. Instead a checked-out connection is pinged only when it sat idle in the pool for a
    while, or its socket is readable (the server ended it). A failed ping raises InvalidatePoolError,
    so the pool discards its connections and hands out a fresh one, as pool_pre_ping would.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_CHECKED_IN, None)
        if since is None:  # just connected
            return
        if time.monotonic() - since < PING_AFTER_IDLE_SECONDS and not _socket_has_news(dbapi_connection):
            return
        # As pool_pre_ping does: a disconnect invalidates the pool (the server most likely
        # restarted) and the pool retries with a new connection; any other error propagates.
        if not engine.dialect._do_ping_w_event(dbapi_connection):
            raise exc.InvalidatePoolError()


_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """Return the process-wide engine for the configured database URL."""
    global _engine, _factory
    if _engine is None:
        from manyi.core.settings import get_settings

        settings = get_settings()
        _engine = make_engine(
            settings.database_url,
            echo=settings.echo_sql,
            statement_timeout_seconds=settings.db_statement_timeout_seconds,
        )
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


_defaults: dict[str, tuple[dict[str, Any], list[Any]]] = {}


def full_row(model: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    """values with every other column of model's table at its default (or None)."""
    table = model.__table__
    known = _defaults.get(table.name)
    if known is None:  # scalar defaults once; callable ones (now, list) are called for each row
        scalars = {c.key: _column_default(c) for c in table.columns}
        dynamic = [c for c in table.columns if c.default is not None and c.default.is_callable]
        known = _defaults[table.name] = (scalars, dynamic)
    scalars, dynamic = known
    row = scalars | values
    if len(row) != len(scalars):  # a key that is no column: left out, as before
        row = {key: row[key] for key in scalars}
    for column in dynamic:
        if column.key not in values:
            row[column.key] = _column_default(column)
    return row


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
    row = full_row(model, values)
    row[pk] = fast.execute(session, [row])
    return add_persistent(session, model, row)


_managers: dict[type[Any], Any] = {}


def add_persistent(session: Session, model: type[T], row: dict[str, Any]) -> T:
    """The ORM object of a row just inserted (every column in row), persistent in session.

    Built as a query result is, straight into the instance dict: the constructor's attribute events
    and change history would be thrown away by make_transient_to_detached anyway."""
    manager = _managers.get(model)
    if manager is None:
        manager = _managers[model] = inspect(model).class_manager
    obj: T = manager.new_instance()
    obj.__dict__.update(row)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
