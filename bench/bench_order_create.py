"""Order creation through the service layer: 4 concurrent sessions (one per process, as server
workers are), one transaction per order with its SLA clocks and history event. Prints one JSON line
per backend (PostgreSQL, and SQLite where writers queue on the database lock).

The peer, in the same run: plain INSERTs of the same rows. The orders, clocks and events the service
wrote are read back and inserted again, one transaction per order, by 4 processes, into a copy of
the database as it was before the run; the ratio is what Manyi's rules (routing, policy choice,
deadlines, numbering, idempotency checks) cost over the database's own writes.
"""

from __future__ import annotations

import multiprocessing
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

from common import emit  # type: ignore[import-not-found]
from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import sessionmaker

from manyi.calendars.service import seed_calendars
from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.orders.service import create_order
from manyi.org.models import Region
from manyi.sla.models import SlaClock
from manyi.sla.policies import seed_default_policies

PER_PROCESS = 750
PROCESSES = 4
WARM_UP = "预热"
ORDERS = cast(Table, WorkOrder.__table__)
CLOCKS = cast(Table, SlaClock.__table__)
EVENTS = cast(Table, OrderEvent.__table__)


def _work(url: str, ready: Any) -> None:
    """One session per process, as one server worker: the GIL is not what we measure."""
    engine = core_db.make_engine(url)
    core_db.set_engine(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():  # warm the reference-data cache outside the timed part
        create_order(s, type="fault", description=WARM_UP, channel="hotline", region_code="330106")
    ready.wait()
    for _ in range(PER_PROCESS):
        with factory() as s, s.begin():
            create_order(s, type="fault", description="宽带无法上网", channel="hotline", region_code="330106")


Rows = list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]


def _insert(url: str, rows: Rows, ready: Any) -> None:
    """The peer's process: the same rows, one transaction per order, as plain INSERTs."""
    engine = core_db.make_engine(url)
    with engine.connect() as conn:  # connected before the clock starts, as the service's are
        ready.wait()
        for order, clocks, events in rows:
            with conn.begin():
                conn.execute(insert(ORDERS), order)
                if clocks:
                    conn.execute(insert(CLOCKS), clocks)
                conn.execute(insert(EVENTS), events)
    engine.dispose()


def _timed(target: Callable[..., None], args_per_process: list[tuple[Any, ...]]) -> float:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(len(args_per_process) + 1)  # every process started and warm before the clock
    procs = [ctx.Process(target=target, args=(*args, ready)) for args in args_per_process]
    for p in procs:
        p.start()
    ready.wait()
    t0 = time.perf_counter()
    for p in procs:
        p.join()
        assert p.exitcode == 0, p.exitcode
    return time.perf_counter() - t0


def _written(url: str) -> Rows:
    """The timed orders' rows as the service wrote them (the warm-up orders left out)."""
    engine = core_db.make_engine(url)
    with engine.connect() as conn:
        orders = [
            dict(r._mapping) for r in conn.execute(select(ORDERS).where(ORDERS.c.description != WARM_UP))
        ]
        clocks: dict[int, list[dict[str, Any]]] = {}
        for r in conn.execute(select(CLOCKS).order_by(CLOCKS.c.id)):
            clocks.setdefault(r.order_id, []).append(dict(r._mapping))
        events: dict[int, list[dict[str, Any]]] = {}
        for r in conn.execute(select(EVENTS).order_by(EVENTS.c.id)):
            events.setdefault(r.order_id, []).append(dict(r._mapping))
    engine.dispose()
    return [(o, clocks.get(o["id"], []), events[o["id"]]) for o in orders]


def run(backend: str, database: Callable[[str | None], AbstractContextManager[str]]) -> None:
    with database(None) as url:
        engine = core_db.make_engine(url)
        load_all_models().metadata.create_all(engine)
        core_db.set_engine(engine)
        factory = sessionmaker(engine, expire_on_commit=False)
        with factory() as s:
            s.add(Region(code="330106", name="西湖区", level="district"))
            seed_calendars(s)
            seed_default_policies(s)
            s.commit()
        core_db.set_engine(None)
        engine.dispose()  # nobody connected while the copy for the peer is taken
        with database(url) as copy:
            seconds = _timed(_work, [(url,)] * PROCESSES)
            rows = _written(url)
            assert len(rows) == PER_PROCESS * PROCESSES, len(rows)
            shares = [(copy, rows[i::PROCESSES]) for i in range(PROCESSES)]
            peer = _timed(_insert, shares)
    n = PER_PROCESS * PROCESSES
    emit(
        {
            "bench": "order_create_service",
            "backend": backend,
            "sessions": PROCESSES,
            "n": n,
            "seconds": round(seconds, 2),
            "per_s": round(n / seconds),
            "clocks_per_order": round(sum(len(c) for _o, c, _e in rows) / n, 2),
            "peer": "plain INSERTs of the same rows, one transaction per order, same processes",
            "peer_seconds": round(peer, 2),
            "peer_per_s": round(n / peer),
            "ratio": round(peer / seconds, 2),
            "peak_mb_per_process": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        }
    )


@contextmanager
def _sqlite_file(template: str | None) -> Iterator[str]:
    """A SQLite database file in a temporary folder; a copy of `template` (a URL) if given."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        if template:
            source = template.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{path}{suffix}")
        yield f"sqlite:///{path}"


def main() -> None:
    run("postgresql", scratch_database)
    run("sqlite", _sqlite_file)


if __name__ == "__main__":
    main()
