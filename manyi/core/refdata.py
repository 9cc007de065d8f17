"""Per-process cache of reference data (regions, teams, categories, routing rules, SLA policies,
calendars) that is read on every order but changes a few times a year.

Correctness comes from a version stamp in the `counters` table: any flush or bulk statement that
touches a registered table writes a fresh random stamp in the same transaction, and every reader
compares the stamp it sees with the one its cached copy was built from. So a change is visible to
every process on its next lookup after commit, and an uncommitted change is only ever seen by its
own transaction (a rolled-back stamp is never seen again). A random stamp, not a counter, so a
database recreated at the same URL can never match an old copy. The cost is one primary-key read
per transaction instead of a dozen reference queries per order.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from manyi.core.fastsql import scalar
from manyi.core.sequences import Counter

T = TypeVar("T")

STAMP = "reference_data"
_tables: set[str] = set()
# engine -> {(stamp, key): value}; weak so a disposed test engine takes its cache with it.
_stores: weakref.WeakKeyDictionary[Engine, dict[tuple[int, str], Any]] = weakref.WeakKeyDictionary()
_INFO = "manyi_refdata_stamp"
_VIEW = "manyi_refdata_view"  # (stamp, store) of the transaction, once a lookup needed them
_STAMP_SQL = f"SELECT value FROM counters WHERE name = '{STAMP}'"


def register_tables(*table_names: str) -> None:
    """Declare tables whose rows are cached; writing any of them invalidates every cached copy."""
    _tables.update(table_names)


def bump(session: Session) -> int:
    """Write a fresh stamp in the current transaction and return it."""
    stamp = secrets.randbits(62)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(Counter).values(name=STAMP, value=stamp)
    session.execute(
        statement.on_conflict_do_update(index_elements=[Counter.name], set_={"value": stamp}),
        execution_options={"manyi_refdata_internal": True},
    )
    session.info[_INFO] = stamp
    session.info.pop(_VIEW, None)
    return stamp


def current_stamp(session: Session) -> int | None:
    """The stamp this transaction sees (read once per transaction)."""
    if _INFO not in session.info:
        if session.new or session.dirty or session.deleted:
            session.flush()  # a pending edit of reference data bumps the stamp first
        # Through the connection, not session.execute: this runs for every order, and the ORM layer
        # would cost more than the read itself.
        session.info[_INFO] = scalar(session, _STAMP_SQL)
    stamp: int | None = session.info[_INFO]
    return stamp


def cached(session: Session, key: str, load: Callable[[Session], T]) -> T:
    """Return load(session), reusing the copy built for the same stamp on the same engine."""
    # Several lookups per order: the transaction keeps its stamp and its engine's store at hand.
    view = session.info.get(_VIEW)
    if view is None:
        stamp = current_stamp(session)
        if stamp is None:  # a database that never wrote reference data through the ORM: no caching
            return load(session)
        engine = session.get_bind().engine
        store = _stores.get(engine)
        if store is None:
            store = _stores[engine] = {}
        view = session.info[_VIEW] = (stamp, store)
    stamp, store = view
    hit = store.get((stamp, key))
    if hit is None:
        if len(store) > 4096:  # stale stamps and old tokens pile up; start over
            store.clear()
        hit = store[(stamp, key)] = load(session)
    value: T = hit
    return value


def _touches(objects: Any) -> bool:
    return any(getattr(getattr(o, "__table__", None), "name", None) in _tables for o in objects)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _touches(session.new) or _touches(session.deleted) or _touches(session.dirty):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.execution_options.get("manyi_refdata_internal"):
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _tables:
            bump(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: Any) -> None:
    session.info.pop(_INFO, None)
    session.info.pop(_VIEW, None)
