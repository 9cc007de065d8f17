"""SLA sweep: N open orders with clocks, of which D fall due; one worker pass fires all D.

Prints one JSON line per backend (SQLite file, and PostgreSQL when MANYI_BENCH_POSTGRES_URL or the
local server is reachable). The cost of a pass must follow what is due, not how many orders are open.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import insert, text

from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models
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


def run(backend: str, url: str, n: int, due: int) -> dict[str, object]:
    engine = core_db.make_engine(url)
    load_all_models().metadata.create_all(engine)
    t0 = time.perf_counter()
    populate(engine, n, due)
    populate_s = time.perf_counter() - t0
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    core_db.set_engine(engine)
    t0 = time.perf_counter()
    result = run_pass(batch=1000)
    seconds = time.perf_counter() - t0
    assert result.fired == due, result
    empty = []
    for _ in range(20):
        t1 = time.perf_counter()
        sweep = run_pass(batch=1000)
        empty.append(time.perf_counter() - t1)
        assert sweep.fired == 0
    empty.sort()
    engine.dispose()
    return {
        "bench": "sla_sweep",
        "backend": backend,
        "n": n,
        "due": due,
        "seconds": round(seconds, 3),
        "per_s": round(due / seconds),
        "includes": "history events + outbox messages committed, and their delivery on the log channel",
        "empty_pass_ms": round(empty[len(empty) // 2] * 1000, 2),
        "populate_seconds": round(populate_s, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    import logging

    from manyi.core.logging import configure_logging

    configure_logging("WARNING")
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run("sqlite", f"sqlite:///{tmp}/bench.db", args.orders, args.due)), flush=True)
    with scratch_database() as url:
        print(json.dumps(run("postgresql", url, args.orders, args.due)), flush=True)


if __name__ == "__main__":
    main()
