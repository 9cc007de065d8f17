"""SMS through the outbox: N queued messages (default 100,000) sent by `manyi worker` (a child
process, as in production) to a real local SMSC (smpp34's server, as the tests use).

- throughput: N messages already queued; submits per second from the first submit recorded to the
  last (the worker's start-up is not counted). Peer, same run: the same worker and library with a
  gateway window of 1, i.e. one synchronous submit at a time, on peer_n messages (default
  min(N, 5,000): at one round trip per message it would otherwise dominate the run).
- latency: a producer commits 200 messages/s (10 every 50 ms) for `--steady-seconds` while the worker
  runs; commit-to-submit is submitted_at - created_at (written just before its commit); p50/p99.
- peak_mb: the worker process's peak RSS (VmHWM) over the throughput run.

Targets (issue 13): >= 1,000 submits/s, p99 < 1 s at 200/s, worker peak RSS < 300 MB.

    python bench/bench_sms_outbox.py                  # N = 100,000, SQLite file
    python bench/bench_sms_outbox.py --n 20000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, emit  # type: ignore[import-not-found]
from sqlalchemy import Engine, func, insert, select, update

from manyi.core import db
from manyi.core.model_registry import load_all_models
from manyi.notify.models import NotifyMessage

sys.path.insert(0, str(ROOT))  # the SMSC lives beside the tests that use it
from tests.notify.smpp.smsc import SmscProcess  # noqa: E402

TABLE = NotifyMessage.__table__


def rows(start: int, n: int, at: datetime, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "created_at": at,
            "channel": "sms",
            "event": "bench",
            "locale": "zh-CN",
            "address": f"86138{i % 100_000_000:08d}",
            "text": f"【满意客服】您的工单GD{i:08d}已受理，维护员将在2小时内联系您。",
            "segments": 1,
            "urgent": False,
            "status": "queued",
            "attempts": 0,
            "available_at": at,
            "dedupe_key": f"{tag}:{i}",
        }
        for i in range(start, start + n)
    ]


def queue(engine: Engine, n: int, tag: str) -> None:
    at = datetime.now(UTC) - timedelta(seconds=1)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(TABLE), rows(start, min(5000, n - start), at, tag))


def counted(engine: Engine, event_tag: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).where(
                    TABLE.c.dedupe_key.like(f"{event_tag}:%"), TABLE.c.available_at.is_(None)
                )
            )
            or 0
        )


def span(engine: Engine, tag: str) -> float:
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(TABLE.c.submitted_at), func.max(TABLE.c.submitted_at)).where(
                TABLE.c.dedupe_key.like(f"{tag}:%")
            )
        ).one()
    return max((last - first).total_seconds(), 1e-6)


class WorkerProcess:
    def __init__(self, url: str, port: int, window: int) -> None:
        env = {
            **os.environ,
            "MANYI_ENV": "dev",
            "MANYI_SECRET_KEY": "bench-" + "k" * 40,
            "MANYI_DATABASE_URL": url,
            "MANYI_WORKER_IDLE_SECONDS": "0.02",
            "MANYI_NOTIFY_SMS_GATEWAYS": f"smpp://bench:bench@127.0.0.1:{port}?window={window}&rate=0"
            "&source_addr=10655&response_timeout=30",
            "MANYI_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "manyi.cli", "worker"], env=env, stdout=subprocess.DEVNULL, cwd=ROOT
        )

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wait_sent(engine: Engine, tag: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while counted(engine, tag) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"{tag}: only {counted(engine, tag)} of {n} sent within {timeout} s")
        time.sleep(0.5)


def steady(engine: Engine, seconds: float, per_s: int) -> list[float]:
    """Commit per_s messages a second in ticks of 50 ms; return commit-to-submit latencies."""
    per_tick = max(1, per_s // 20)
    ticks = int(seconds * 20)
    started = time.monotonic()
    for tick in range(ticks):
        at = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(insert(TABLE), rows(tick * per_tick, per_tick, at, "steady"))
        pause = started + (tick + 1) / 20 - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    wait_sent(engine, "steady", ticks * per_tick, 120)
    with engine.connect() as conn:
        pairs = conn.execute(
            select(TABLE.c.created_at, TABLE.c.submitted_at).where(TABLE.c.dedupe_key.like("steady:%"))
        ).all()
    return sorted((submitted - created).total_seconds() for created, submitted in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=int(os.environ.get("MANYI_BENCH_SMS_N", "100000")))
    parser.add_argument("--peer-n", type=int, default=0)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument("--database-url", default=os.environ.get("MANYI_BENCH_DATABASE_URL", ""))
    arguments = parser.parse_args()
    n, peer_n = arguments.n, arguments.peer_n or min(arguments.n, 5000)
    scratch = tempfile.TemporaryDirectory()
    url = arguments.database_url or f"sqlite:///{scratch.name}/bench.db"
    engine = db.make_engine(url)
    metadata = load_all_models().metadata
    metadata.drop_all(engine)
    metadata.create_all(engine)
    smsc = SmscProcess().start()
    try:
        smsc.command("set", record=False, receipts=False)
        queue(engine, n, "main")
        worker = WorkerProcess(url, smsc.port, arguments.window)
        wait_sent(engine, "main", n, 3600)
        peak_mb = worker.peak_mb()
        per_s = n / span(engine, "main")
        latencies = steady(engine, arguments.steady_seconds, 200)
        worker.stop()
        with engine.begin() as conn:  # the peer's rows only: the finished ones stay finished
            conn.execute(update(TABLE).where(TABLE.c.available_at.is_not(None)).values(available_at=None))
        queue_peer = engine
        with queue_peer.begin() as conn:
            at = datetime.now(UTC) - timedelta(seconds=1)
            for start in range(0, peer_n, 5000):
                conn.execute(insert(TABLE), rows(start, min(5000, peer_n - start), at, "peer"))
        peer = WorkerProcess(url, smsc.port, 1)
        wait_sent(engine, "peer", peer_n, 3600)
        peer.stop()
        peer_per_s = peer_n / span(engine, "peer")
        received = smsc.command("stats")["submits"]
    finally:
        smsc.stop()
        engine.dispose()
        scratch.cleanup()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    emit(
        {
            "bench": "sms_outbox",
            "n": n,
            "database": engine.dialect.name,
            "window": arguments.window,
            "seconds": round(n / per_s, 3),
            "per_s": round(per_s, 1),
            "peer": "the same worker with window=1 (one synchronous submit at a time)",
            "peer_n": peer_n,
            "peer_per_s": round(peer_per_s, 1),
            "ratio": round(per_s / peer_per_s, 2),
            "steady_per_s": 200,
            "steady_n": len(latencies),
            "latency_p50_s": round(statistics.median(latencies), 3),
            "latency_p99_s": round(p99, 3),
            "peak_mb": round(peak_mb, 1),
            "smsc_submits": received,
            "targets": {"per_s": 1000, "latency_p99_s": 1.0, "peak_mb": 300},
            "load_average": os.getloadavg()[0],
        }
    )


if __name__ == "__main__":
    main()
