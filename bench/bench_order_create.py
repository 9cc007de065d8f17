"""Order creation through the service layer: 4 concurrent sessions (one per process, as server
workers are) on PostgreSQL, one transaction per order with its SLA clocks and history event.
Prints one JSON line per backend (SQLite too, where writers queue on the database lock)."""

from __future__ import annotations

import json
import multiprocessing
import resource
import tempfile
import time
from typing import Any

from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy.orm import sessionmaker

from manyi.calendars.service import seed_calendars
from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models
from manyi.orders.service import create_order
from manyi.org.models import Region
from manyi.sla.policies import seed_default_policies

PER_THREAD = 750
THREADS = 4


def _work(url: str, ready: Any) -> None:
    """One session per process, as one server worker: the GIL is not what we measure."""
    engine = core_db.make_engine(url)
    core_db.set_engine(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():  # warm the reference-data cache outside the timed part
        create_order(s, type="fault", description="预热", channel="hotline", region_code="330106")
    ready.wait()
    for _ in range(PER_THREAD):
        with factory() as s, s.begin():
            create_order(s, type="fault", description="宽带无法上网", channel="hotline", region_code="330106")


def run(backend: str, url: str, threads: int) -> dict[str, object]:
    engine = core_db.make_engine(url)
    load_all_models().metadata.create_all(engine)
    core_db.set_engine(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s:
        s.add(Region(code="330106", name="西湖区", level="district"))
        seed_calendars(s)
        seed_default_policies(s)
        s.commit()

    engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(threads + 1)  # every process imported and warmed up before the clock starts
    procs = [ctx.Process(target=_work, args=(url, ready)) for _ in range(threads)]
    for p in procs:
        p.start()
    ready.wait()
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - t0
    n = PER_THREAD * threads
    return {
        "bench": "order_create_service",
        "backend": backend,
        "sessions": threads,
        "n": n,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds),
        "peak_mb_per_process": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def main() -> None:
    with scratch_database() as url:
        print(json.dumps(run("postgresql", url, THREADS)), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run("sqlite", f"sqlite:///{tmp}/bench.db", THREADS)), flush=True)


if __name__ == "__main__":
    main()
