"""The bulk path: 1,000,000 demo orders with their clocks, history and ladder messages, on SQLite and
on PostgreSQL (a scratch database), from spec generation to commit. Prints one JSON line per backend:
the median of MANYI_BENCH_REPEAT runs (each into a fresh database) of the whole path, and of the
writer alone (the same runs minus the time spent generating specs).

Peer, in the same run: the database engine alone (`engine_*`). The exact rows each batch sent (COPY
text on PostgreSQL, the INSERT values on SQLite) are kept and sent again, through the same writer
code, into a copy of the database as it was before the load, with the same index drop and rebuild
and commit: what the load costs with no Python work at all. On a 2-core machine that is also the
floor the whole path competes with for CPU. MANYI_BENCH_FLOOR=0 skips it (it holds every batch in
memory: about 2 GB per million orders on PostgreSQL).

Target: >= 20,000 orders/s end to end, memory flat (specs and rows stream in batches).
"""

from __future__ import annotations

import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from common import emit  # type: ignore[import-not-found]
from faker import Faker
from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.bulk import sink as bulk_io
from manyi.bulk.writer import OrderSpec, write_orders
from manyi.calendars.service import get_calendar, seed_calendars
from manyi.categories.tree import seed_categories
from manyi.core import db as core_db
from manyi.core.migrate import upgrade
from manyi.demo.customers import build_customers
from manyi.demo.orders import order_specs
from manyi.demo.organisation import build_organisation
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.org.regions import seed_regions
from manyi.sla.models import SlaClock
from manyi.sla.policies import seed_default_policies

N = int(os.environ.get("MANYI_BENCH_ORDERS", "1000000"))
CUSTOMERS = 20_000
REPEAT = int(os.environ.get("MANYI_BENCH_REPEAT", "3"))
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
REBUILD = os.environ.get("MANYI_BENCH_REBUILD", "1") == "1"  # as the demo loads (an empty database)
FLOOR = os.environ.get("MANYI_BENCH_FLOOR", "1") == "1"


class Capture:
    """Keeps what the bulk writer sends to the database, to send it again (the engine-only peer)."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, Sequence[str], Any, int]] = []
        self._write = bulk_io.Sink._write

    def __enter__(self) -> Capture:
        original, batches = self._write, self.batches

        def keep(sink: bulk_io.Sink, table: str, columns: Sequence[str], data: Any, count: int) -> None:
            batches.append((table, columns, data, count))
            original(sink, table, columns, data, count)

        bulk_io.Sink._write = keep  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        bulk_io.Sink._write = self._write  # type: ignore[method-assign]


def replay(url: str, batches: list[tuple[str, Sequence[str], Any, int]]) -> float:
    """Send the captured batches into the database at url as the bulk writer does; return seconds."""
    engine = core_db.make_engine(url)
    with Session(engine) as s:
        t0 = time.perf_counter()
        statements = bulk_io.drop_secondary_indexes(s) if REBUILD else []
        sink = bulk_io.Sink(s)
        for table, columns, data, count in batches:
            sink._write(table, columns, data, count)
        sink.close()
        bulk_io.restore_indexes(s, statements)
        s.commit()
        seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds


@contextmanager
def before_copy(url: str) -> Iterator[str]:
    """A copy of the database at url as it is now (nobody connected to it)."""
    if url.startswith("sqlite"):
        source = url.removeprefix("sqlite:///")
        target = f"{source}.before"
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        try:
            yield f"sqlite:///{target}"
        finally:
            os.remove(target)
    else:
        with scratch_database(template=url) as copy:
            yield copy


class Timed:
    """Wraps the spec generator and adds up the time spent inside it."""

    def __init__(self, specs: Iterator[OrderSpec]) -> None:
        self.specs, self.seconds = specs, 0.0

    def __iter__(self) -> Iterator[OrderSpec]:
        return self

    def __next__(self) -> OrderSpec:
        t0 = time.perf_counter()
        try:
            return next(self.specs)
        finally:
            self.seconds += time.perf_counter() - t0


def run_once(url: str) -> dict[str, float]:
    upgrade("head", url=url)
    engine = core_db.make_engine(url)
    core_db.set_engine(engine)
    fake = Faker("zh_CN")
    fake.seed_instance(7)
    rng = random.Random(7)
    with Session(engine, expire_on_commit=False) as s:
        regions = seed_regions(s)
        seed_calendars(s)
        seed_categories(s)
        seed_default_policies(s)
        org = build_organisation(s, fake, regions=regions)
        s.commit()
        districts = [r for ds in org.districts.values() for r in ds]
        build_customers(s, fake, rng, count=CUSTOMERS, districts=districts)
        s.commit()
        office = get_calendar(s, name="office")
        s.commit()
        engine.dispose()  # nobody connected while the copy for the peer is taken
        with before_copy(url) if FLOOR else nullcontext("") as copy:
            with Capture() as capture:
                t0, cpu0 = time.perf_counter(), time.process_time()
                specs = Timed(order_specs(s, rng=rng, org=org, office=office, count=N, now=NOW))
                write_orders(s, specs, now=NOW, rebuild_indexes=REBUILD)
                s.commit()
                seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            counts = {
                name: s.scalar(select(func.count()).select_from(model))
                for name, model in (("orders", WorkOrder), ("clocks", SlaClock), ("events", OrderEvent))
            }
            s.close()
            engine.dispose()
            floor = replay(copy, capture.batches) if copy else float("nan")
            capture.batches.clear()
    core_db.set_engine(None)
    assert counts["orders"] == N, counts
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "generate_seconds": specs.seconds,
        "floor_seconds": floor,
        **counts,
    }


def run(backend: str, make_url: object) -> dict[str, object]:
    results = []
    for _ in range(REPEAT):
        with make_url() as url:  # type: ignore[operator]
            results.append(run_once(url))
    seconds = statistics.median(r["seconds"] for r in results)
    writer = statistics.median(r["seconds"] - r["generate_seconds"] for r in results)
    floor = statistics.median(r["floor_seconds"] for r in results)
    return {
        "bench": "bulk_orders",
        "backend": backend,
        "n": N,
        "runs": REPEAT,
        "seconds": round(seconds, 2),
        "per_s": round(N / seconds),
        "writer_seconds": round(writer, 2),
        "writer_per_s": round(N / writer),
        "generate_seconds": round(statistics.median(r["generate_seconds"] for r in results), 2),
        # This process's CPU time (both threads; not the PostgreSQL server's): steadier than the
        # wall clock on a shared machine.
        "cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in results), 2),
        "engine_seconds": round(floor, 2) if floor == floor else None,
        "engine_per_s": round(N / floor) if floor == floor else None,
        "ratio_to_engine": round(floor / seconds, 2) if floor == floor else None,
        "clocks": results[0]["clocks"],
        "events": results[0]["events"],
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


class _SqliteFile:
    def __enter__(self) -> str:
        self.tmp = tempfile.TemporaryDirectory()
        return f"sqlite:///{self.tmp.name}/bench.db"

    def __exit__(self, *_: object) -> None:
        self.tmp.cleanup()


def main() -> None:
    backends = os.environ.get("MANYI_BENCH_BACKENDS", "sqlite,postgresql").split(",")
    if "sqlite" in backends:
        emit(run("sqlite", _SqliteFile))
    if "postgresql" in backends:
        emit(run("postgresql", scratch_database))


if __name__ == "__main__":
    main()
