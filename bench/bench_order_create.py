"""Order creation through the service layer: 4 concurrent sessions on PostgreSQL, one transaction per
order with its SLA clocks and history event. Prints one JSON line (SQLite line too, single writer)."""

from __future__ import annotations

import json
import os
import resource
import tempfile
import threading
import time
import uuid

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from manyi.calendars.service import seed_calendars
from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models
from manyi.orders.service import create_order
from manyi.org.models import Region
from manyi.sla.service import seed_default_policies

PG_ADMIN = os.environ.get("MANYI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PER_THREAD = 750
THREADS = 4


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

    def work() -> None:
        for _ in range(PER_THREAD):
            with factory() as s, s.begin():
                create_order(
                    s, type="fault", description="宽带无法上网", channel="hotline", region_code="330106"
                )

    work_threads = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in work_threads:
        t.start()
    for t in work_threads:
        t.join()
    seconds = time.perf_counter() - t0
    engine.dispose()
    n = PER_THREAD * threads
    return {
        "bench": "order_create_service",
        "backend": backend,
        "sessions": threads,
        "n": n,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    name = f"manyi_bench_{uuid.uuid4().hex[:8]}"
    admin = core_db.make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print(json.dumps(run("postgresql", f"{PG_ADMIN.rpartition('/')[0]}/{name}", THREADS)), flush=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run("sqlite", f"sqlite:///{tmp}/bench.db", THREADS)), flush=True)


if __name__ == "__main__":
    main()
