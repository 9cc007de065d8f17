"""The database layer: UTC instants round-trip on both backends, naive datetimes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from manyi.core.db import make_engine, unit_of_work
from manyi.org.models import Region, User


def test_aware_instant_round_trips_as_utc(session) -> None:  # type: ignore[no-untyped-def]
    shanghai = timezone(timedelta(hours=8))
    session.add(
        User(username="u1", display_name="U", created_at=datetime(2026, 1, 2, 9, 30, tzinfo=shanghai))
    )
    session.commit()
    session.expunge_all()
    user = session.scalars(select(User).where(User.username == "u1")).one()
    assert user.created_at == datetime(2026, 1, 2, 1, 30, tzinfo=UTC)
    assert user.created_at.tzinfo is not None


def test_naive_datetime_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    session.add(User(username="u2", display_name="U", created_at=datetime(2026, 1, 2, 9, 30)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_unit_of_work_rolls_back_on_error(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), unit_of_work() as s:
        s.add(Region(code="330000", name="浙江省", level="province"))
        s.flush()
        raise RuntimeError("boom")
    with unit_of_work() as s:
        assert s.get(Region, "330000") is None
        s.add(Region(code="330000", name="浙江省", level="province"))
    with unit_of_work() as s:
        assert s.get(Region, "330000") is not None


def test_a_pooled_connection_ended_by_the_server_is_replaced_on_checkout(engine) -> None:  # type: ignore[no-untyped-def]
    """No ping on every checkout, but a connection the server closed is still never handed out."""
    import time

    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        pytest.skip("server-side disconnects are a PostgreSQL matter")
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    other = make_engine(engine.url.render_as_string(hide_password=False))
    with other.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()
    time.sleep(0.2)  # the server's goodbye reaches the idle socket
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid


def test_a_connection_idle_for_long_is_pinged(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from manyi.core import db

    if engine.dialect.name != "postgresql":
        pytest.skip("the ping is for pooled server connections")
    pings: list[object] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:  # handed back moments ago: used as it is
        conn.execute(text("SELECT 1"))
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pings) == 1
