"""Full ticket lifecycles over HTTP: 16 concurrent clients, each lifecycle = create + 3 PATCHes,
authenticated; against the peer, a bare FastAPI endpoint that only INSERTs one row, served the
same way (uvicorn, 2 worker processes) in the same run. Prints one JSON line per backend.

Target: our writes/s >= half the bare endpoint's, p99 < 150 ms, server RSS < 400 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from common import emit  # type: ignore[import-not-found]
from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy.orm import Session

from manyi.calendars.service import seed_calendars
from manyi.core import db as core_db
from manyi.core.migrate import upgrade
from manyi.orders.models import RoutingRule
from manyi.org.models import Department, Region, Team
from manyi.org.service import create_user
from manyi.sla.policies import seed_default_policies

CLIENTS = 16
SECONDS = float(os.environ.get("MANYI_BENCH_SECONDS", "20"))
ROOT = Path(__file__).resolve().parents[1]


def prepare(url: str) -> None:
    upgrade("head", url=url)
    engine = core_db.make_engine(url)
    with Session(engine) as s, s.begin():
        s.add_all(
            [
                Region(code="330000", name="浙江省", level="province"),
                Region(code="330100", name="杭州市", level="city", parent_code="330000"),
                Region(code="330106", name="西湖区", level="district", parent_code="330100"),
            ]
        )
        s.flush()
        dept = Department(name="装维中心", kind="field_own", region_code="330100")
        s.add(dept)
        s.flush()
        team = Team(name="西湖装维班", department_id=dept.id, region_code="330106")
        s.add(team)
        s.flush()
        s.add(RoutingRule(rank=10, order_type="fault", team_id=team.id))
        seed_calendars(s)
        seed_default_policies(s)
        create_user(s, username="bench", roles=["agent"], regions=["330100"], password="load-test-secret-7")
    engine.dispose()


def serve(app: str, url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MANYI_DATABASE_URL": url, "MANYI_LOG_LEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "manyi.core.serving", app, str(port), "2"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    parent = psutil.Process(process.pid)
    return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20


async def drive(worker, seconds: float) -> tuple[int, list[float]]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    count = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:

        async def loop() -> None:
            nonlocal count
            while time.perf_counter() < stop:
                done = await worker(client, latencies)  # not `count += await ...`: that loses updates
                count += done

        await asyncio.gather(*(loop() for _ in range(CLIENTS)))
    return count, latencies


def measure_bare(url: str, port: int) -> dict[str, float]:
    process = serve("bench.bare_app:create_app", url, port)
    try:
        base = f"http://127.0.0.1:{port}/rows"

        async def one(client: httpx.AsyncClient, latencies: list[float]) -> int:
            t = time.perf_counter()
            r = await client.post(base, json={"text": "宽带无法上网"})
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 201, r.text
            return 1

        asyncio.run(drive(one, 2))  # warm up
        writes, latencies = asyncio.run(drive(one, SECONDS))
        return {"writes_per_s": writes / SECONDS, "p99_ms": _p99(latencies), "rss_mb": rss_mb(process)}
    finally:
        process.terminate()
        process.wait(30)


def measure_manyi(url: str, port: int) -> dict[str, float]:
    process = serve("manyi.app:create_app", url, port)
    try:
        server = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{server}/api/v1/auth/token", data={"username": "bench", "password": "load-test-secret-7"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        patch_headers = {**headers, "Content-Type": "application/merge-patch+json"}
        base = f"{server}/tmf-api/troubleTicket/v4/troubleTicket"
        body = {
            "description": "宽带无法上网",
            "severity": "major",
            "ticketType": "fault",
            "channel": {"id": "hotline"},
            "region": {"id": "330106"},
        }
        steps = [
            {"status": "inProgress"},
            {"note": [{"text": "已联系客户，约明天上门"}]},
            {"status": "resolved", "statusChangeReason": "更换光猫"},
        ]

        async def lifecycle(client: httpx.AsyncClient, latencies: list[float]) -> int:
            t = time.perf_counter()
            r = await client.post(base, json=body, headers=headers)
            latencies.append(time.perf_counter() - t)
            assert r.status_code == 201, r.text
            tid = r.json()["id"]
            for step in steps:
                t = time.perf_counter()
                r = await client.patch(f"{base}/{tid}", content=json.dumps(step), headers=patch_headers)
                latencies.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            return 4

        asyncio.run(drive(lifecycle, 2))
        writes, latencies = asyncio.run(drive(lifecycle, SECONDS))
        peak = rss_mb(process)
        return {
            "writes_per_s": writes / SECONDS,
            "lifecycles_per_s": writes / 4 / SECONDS,
            "p99_ms": _p99(latencies),
            "p50_ms": statistics.median(latencies) * 1000,
            "rss_mb": peak,
        }
    finally:
        process.terminate()
        process.wait(30)


def _p99(latencies: list[float]) -> float:
    return sorted(latencies)[int(len(latencies) * 0.99)] * 1000


def run(backend: str, url: str) -> dict[str, object]:
    prepare(url)
    bare = measure_bare(url, 18_081)
    ours = measure_manyi(url, 18_082)
    return {
        "bench": "api_lifecycle",
        "backend": backend,
        "clients": CLIENTS,
        "n": round(ours["writes_per_s"] * SECONDS),
        "seconds": SECONDS,
        "per_s": round(ours["writes_per_s"]),
        "lifecycles_per_s": round(ours["lifecycles_per_s"]),
        "p50_ms": round(ours["p50_ms"], 1),
        "p99_ms": round(ours["p99_ms"], 1),
        "server_rss_mb": round(ours["rss_mb"]),
        "peer": "bare FastAPI INSERT endpoint",
        "peer_per_s": round(bare["writes_per_s"]),
        "peer_p99_ms": round(bare["p99_ms"], 1),
        "ratio": round(ours["writes_per_s"] / bare["writes_per_s"], 2),
    }


def main() -> None:
    with scratch_database() as url:
        emit(run("postgresql", url))
    with tempfile.TemporaryDirectory() as tmp:
        emit(run("sqlite", f"sqlite:///{tmp}/bench.db"))


if __name__ == "__main__":
    main()
