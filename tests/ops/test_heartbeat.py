"""The worker's heartbeat: each pass is recorded (at most every few seconds) where the web processes
can read it, for /metrics' worker lag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.ops.heartbeat import FORGET_AFTER, Heartbeat, last_pass_at, worker_id
from manyi.ops.models import WorkerHeartbeat
from manyi.worker import Worker


def test_a_worker_pass_is_recorded(session: Session) -> None:
    assert last_pass_at(session) is None
    session.rollback()  # SQLite: a transaction holds the write lock from BEGIN
    before = datetime.now(UTC)
    Worker(idle_seconds=0.01).run(once=True)
    row = session.scalars(select(WorkerHeartbeat)).one()
    assert row.worker_id == worker_id() and row.passes == 1
    assert before <= row.last_pass_at <= datetime.now(UTC)
    assert last_pass_at(session) == row.last_pass_at


def test_beats_are_written_at_most_every_few_seconds_and_old_workers_are_forgotten(session: Session) -> None:
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert Heartbeat("gone:1").beat()
    with time_machine.travel(start + FORGET_AFTER + timedelta(minutes=1), tick=False):
        beat = Heartbeat("host:2")
        assert beat.beat() is True
        assert beat.beat() is False  # a second pass moments later is not written
        assert beat.beat(force=True) is True
    rows = {r.worker_id: r for r in session.scalars(select(WorkerHeartbeat))}
    assert set(rows) == {"host:2"}  # the worker silent for a week is gone
    assert rows["host:2"].passes == 3
