"""The database layer: UTC instants round-trip on both backends, naive datetimes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from manyi.core.db import unit_of_work
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
