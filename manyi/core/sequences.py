"""Gap-tolerant number sequences that never make concurrent writers wait for each other.

On PostgreSQL a real SEQUENCE: nextval is not transactional, so two transactions creating orders at
the same moment never queue on a counter row (a counter row would stay locked until commit and
serialise every creator). SQLite has one writer at a time anyway, so a counter row is enough there.
Numbers lost to a rolled-back transaction are gaps, as with any database sequence. Whatever writes
numbers of a sequence's format without taking them from it advances it (advance_sequence).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Sequence, String, func, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from manyi.core.db import Base, is_postgres
from manyi.core.fastsql import scalar


class Counter(Base):
    """A named integer: sequences on SQLite, and the reference-data version stamp."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


def define_sequence(name: str) -> Sequence:
    """Declare a sequence with the models, so create_all and migrations know it (PostgreSQL only)."""
    return Sequence(name, metadata=Base.metadata)


def _sqlite_reserve(session: Session, name: str, count: int) -> int:
    from sqlalchemy.dialects.sqlite import insert

    statement = (
        insert(Counter)
        .values(name=name, value=count)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + count})
        .returning(Counter.value)
    )
    return int(session.execute(statement).scalar_one())


def next_value(session: Session, sequence: Sequence) -> int:
    """The next value of the sequence."""
    if is_postgres(session):
        # The name comes from our own model declarations, never from input.
        return int(scalar(session, f"SELECT nextval('{sequence.name}')"))
    return _sqlite_reserve(session, sequence.name, 1)


def reserve_values(session: Session, sequence: Sequence, count: int) -> list[int]:
    """count fresh values for a bulk writer (increasing; contiguous on SQLite, not always on PostgreSQL)."""
    if count <= 0:
        return []
    if is_postgres(session):
        rows = session.execute(
            text("SELECT nextval(:name) FROM generate_series(1, :count)"),
            {"name": sequence.name, "count": count},
        )
        return sorted(int(v) for (v,) in rows)
    last = _sqlite_reserve(session, sequence.name, count)
    return list(range(last - count + 1, last + 1))


def advance_sequence(session: Session, sequence: Sequence, at_least: int) -> None:
    """Make sure the sequence never again hands out at_least or a smaller value: for numbers written
    outside it (the demo, an import, a caller's own number in the sequence's format)."""
    if is_postgres(session):
        # The value the sequence handed out last (or one below its start, if it never did). setval is
        # not transactional, like nextval: the advance outlives a rollback, a harmless gap.
        last = "CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
        session.execute(
            text(f"SELECT setval('{sequence.name}', :value) FROM {sequence.name} WHERE {last} < :value"),
            {"value": at_least},
        )
        return
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(Counter).values(name=sequence.name, value=at_least)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Counter.name], set_={"value": func.max(Counter.value, statement.excluded.value)}
        )
    )
