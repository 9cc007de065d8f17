"""SLA sweep: N open orders with clocks, of which D fall due; one worker pass fires all D.

Prints one JSON line per backend (a SQLite file, and a PostgreSQL scratch database). The cost of a
pass must follow what is due, not how many orders are open. The peer, in the same run: the engine
floor (bench/sweep_floor.py), the same reads and writes as plain Core statements in the same number
of transactions, run on a copy of the database as it was before the pass. Target: the pass takes at
most twice the floor.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import emit  # type: ignore[import-not-found]
from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import insert, text
from sweep_floor import sweep_floor  # type: ignore[import-not-found]

from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models
from manyi.core.settings import get_settings
from manyi.orders.models import WorkOrder
from manyi.org.models import Region
from manyi.sla.models import SlaClock, SlaPolicy
from manyi.worker import run_pass


def populate(engine, n: int, due: int) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    far = now + timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(insert(Region), [{"code": "330106", "name": "西湖区", "level": "district"}])
        conn.execute(
            insert(SlaPolicy),
            [{"id": 1, "name": "bench", "rank": 1, "warning_share": 0.8, "active": True, "version": 1}],
        )
    chunk = 50_000
    for start in range(0, n, chunk):
        ids = range(start + 1, min(n, start + chunk) + 1)
        orders = [
            {
                "id": i,
                "number": f"GD{i:014d}",
                "type": "fault",
                "channel": "hotline",
                "priority": 3,
                "severity": "minor",
                "status": "inProgress",
                "stage": "contacted",
                "description": "bench",
                "region_code": "330106",
                "reopen_count": 0,
                "contact_attempts": 0,
                "sla_provisional": False,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in ids
        ]
        clocks = [
            {
                "id": i,
                "order_id": i,
                "kind": "resolution",
                "policy_id": 1,
                "calendar_name": "office",
                "amount": 3,
                "unit": "working_days",
                "warning_share": 0.8,
                "state": "running",
                "started_at": now - timedelta(days=3),
                "budget_seconds": 81000,
                "due_at": far if i > due else now - timedelta(minutes=5),
                "warn_at": far if i > due else now - timedelta(hours=1),
                "pauses": [],
                "breached": False,
                "warned_at": now - timedelta(hours=1),
                "provisional": False,
                "escalation_level": 0,
                "next_check_at": far if i > due else now - timedelta(minutes=5),
            }
            for i in ids
        ]
        with engine.begin() as conn:
            conn.execute(insert(WorkOrder), orders)
            conn.execute(insert(SlaClock), clocks)


def _pass(url: str, due: int) -> tuple[float, float]:
    """The worker's passes until the due clocks are fired and their messages delivered, then the
    median of 20 idle passes (seconds). A pass stops delivering after its time budget (so sweeps
    keep their pace under a backlog): on a slow machine the work takes more than one pass."""
    engine = core_db.make_engine(url)
    core_db.set_engine(engine)
    fired = delivered = 0
    t0 = time.perf_counter()
    while True:
        result = run_pass(batch=1000)
        if not (result.fired or result.delivered):
            break
        fired, delivered = fired + result.fired, delivered + result.delivered
    seconds = time.perf_counter() - t0
    assert fired == due and delivered == due, (fired, delivered)
    empty = []
    for _ in range(20):
        t1 = time.perf_counter()
        sweep = run_pass(batch=1000)
        empty.append(time.perf_counter() - t1)
        assert sweep.fired == 0
    empty.sort()
    core_db.set_engine(None)
    engine.dispose()
    return seconds, empty[len(empty) // 2]


def _floor(url: str, due: int) -> float:
    engine = core_db.make_engine(url)
    delay = timedelta(minutes=get_settings().escalation_delays_minutes[1])
    t0 = time.perf_counter()
    fired, sent = sweep_floor(engine, at=datetime.now(UTC), batch=1000, escalate_after=delay)
    seconds = time.perf_counter() - t0
    assert fired == due and sent == due, (fired, sent)
    engine.dispose()
    return seconds


def run(
    backend: str, database: Callable[[str | None], AbstractContextManager[str]], n: int, due: int
) -> None:
    with database(None) as url:
        engine = core_db.make_engine(url)
        load_all_models().metadata.create_all(engine)
        t0 = time.perf_counter()
        populate(engine, n, due)
        populate_s = time.perf_counter() - t0
        if backend == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
        engine.dispose()  # nobody connected while the copy for the floor is taken
        with database(url) as copy:
            floor = _floor(copy, due)
        seconds, empty = _pass(url, due)
    emit(
        {
            "bench": "sla_sweep",
            "backend": backend,
            "n": n,
            "due": due,
            "seconds": round(seconds, 3),
            "per_s": round(due / seconds),
            "includes": "history events + outbox messages committed, and their delivery on the log channel",
            "peer": "engine floor: the same statements as plain Core SQL, same transactions",
            "peer_seconds": round(floor, 3),
            "ratio": round(seconds / floor, 2),
            "target_ratio": 2.0,
            "empty_pass_ms": round(empty * 1000, 2),
            "populate_seconds": round(populate_s, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


@contextmanager
def _sqlite_file(template: str | None) -> Iterator[str]:
    """A SQLite database file in a temporary folder; a copy of `template` (a URL) if given."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        if template:
            source = Path(template.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{path}{suffix}")
        yield f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    import logging

    from manyi.core.logging import configure_logging

    configure_logging("WARNING")
    logging.getLogger().setLevel(logging.WARNING)
    run("sqlite", _sqlite_file, args.orders, args.due)
    run("postgresql", scratch_database, args.orders, args.due)


if __name__ == "__main__":
    main()
