"""The background worker: SLA sweeps and outbox deliveries, in short transactions, forever.

Deadlines are rows (next_check_at, available_at), never timers in memory: a worker killed at any
point leaves nothing half done, and a restarted one catches up from the database.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from manyi.core.clock import now
from manyi.core.db import unit_of_work
from manyi.core.logging import get_logger
from manyi.core.settings import get_settings
from manyi.notify.tasks import NotifyWork
from manyi.ops.heartbeat import Heartbeat
from manyi.outbox.service import deliver_due
from manyi.sla.tasks import sweep_due_clocks

log = get_logger("manyi.worker")


@dataclass
class PassResult:
    fired: int
    delivered: int


def run_pass(
    *, batch: int, notify: NotifyWork | None = None, stopping: Callable[[], bool] = lambda: False
) -> PassResult:
    """One pass: fire due SLA steps, deliver due messages, send due SMS and handle what the
    gateways sent back; each batch its own transaction. When `stopping()` turns true the batch in
    hand is finished and committed, and the pass ends."""
    fired = delivered = 0
    while True:
        with unit_of_work() as session:
            n = sweep_due_clocks(session, at=now(), limit=batch)
        fired += n
        if n < batch or stopping():
            break
    while not stopping():
        with unit_of_work() as session:
            n = deliver_due(session, at=now(), limit=batch)
        delivered += n
        if n < batch:
            break
    if notify is not None and not stopping():
        delivered += notify.run(limit=batch * 5)
    return PassResult(fired, delivered)


class Worker:
    def __init__(self, *, batch: int | None = None, idle_seconds: float | None = None) -> None:
        settings = get_settings()
        self.batch = batch or settings.worker_batch_size
        self.idle_seconds = idle_seconds or settings.worker_idle_seconds
        self.stopping = False

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("worker_stopping", signal=signum)
        self.stopping = True

    def _idle(self) -> None:
        """Wait for the next pass, waking at once for a stop request."""
        deadline = time.monotonic() + self.idle_seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def run(self, *, once: bool = False) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("worker_started", batch=self.batch)
        heartbeat = Heartbeat()
        notify = NotifyWork.from_settings()
        try:
            self._loop(heartbeat, notify, once=once)
        finally:
            notify.close()
        log.info("worker_stopped")

    def _loop(self, heartbeat: Heartbeat, notify: NotifyWork, *, once: bool) -> None:
        while not self.stopping:
            result = run_pass(batch=self.batch, notify=notify, stopping=lambda: self.stopping)
            heartbeat.beat(force=once)
            if result.fired or result.delivered:
                log.info("worker_pass", fired=result.fired, delivered=result.delivered)
            if not (result.fired or result.delivered):
                if once:  # drained: a pass stops delivering after its time budget, so one is not enough
                    break
                self._idle()
