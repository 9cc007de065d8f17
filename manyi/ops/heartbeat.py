"""The worker records each pass here; /metrics reports the time since the freshest one (worker lag).

Written at most every HEARTBEAT_SECONDS per worker, in its own short transaction: a pass that fired
nothing still proves the worker is alive and looking."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.core.db import unit_of_work
from manyi.ops.models import WorkerHeartbeat

HEARTBEAT_SECONDS = 5.0
# A worker silent this long is gone (stopped, killed): its row is removed by the next live worker.
FORGET_AFTER = timedelta(days=7)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


class Heartbeat:
    """One worker process's heartbeat; beat() after every pass."""

    def __init__(self, worker: str | None = None) -> None:
        self.worker = worker or worker_id()
        self.started_at = now()
        self._last_written = float("-inf")
        self._passes = 0

    def beat(self, *, force: bool = False) -> bool:
        """Record a finished pass; write it when HEARTBEAT_SECONDS have gone by (or force)."""
        self._passes += 1
        if not force and time.monotonic() - self._last_written < HEARTBEAT_SECONDS:
            return False
        with unit_of_work() as session:
            record_pass(session, worker=self.worker, started_at=self.started_at, passes=self._passes)
        self._last_written = time.monotonic()
        return True


def record_pass(session: Session, *, worker: str, started_at: datetime, passes: int) -> None:
    at = now()
    row = session.get(WorkerHeartbeat, worker)
    if row is None:
        session.add(WorkerHeartbeat(worker_id=worker, started_at=started_at, last_pass_at=at, passes=passes))
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_pass_at < at - FORGET_AFTER))
    else:
        row.last_pass_at, row.passes = at, passes
    session.flush()


def last_pass_at(session: Session) -> datetime | None:
    """When any worker last finished a pass (None: no worker has run)."""
    return session.scalar(select(func.max(WorkerHeartbeat.last_pass_at)))
