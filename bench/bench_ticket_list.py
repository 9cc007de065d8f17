"""Listing trouble tickets on 1,000,000 orders in PostgreSQL: the filters the console uses (status,
team, region, breached, date range) with `fields=`, paging and an exact X-Total-Count, through the
real app (in-process ASGI client, so the figure is server time). Prints one JSON line.

Target: p95 < 100 ms for each filter, by indexes that match them. The peer, per filter, in the same
run: the database engine alone, the statements one request sent replayed raw (bench/common.py).
"""

from __future__ import annotations

import json
import os
import statistics
import time

from common import capture_statements, emit, p95, replay_seconds  # type: ignore[import-not-found]
from fastapi.testclient import TestClient
from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import text
from sqlalchemy.orm import Session

from manyi.auth.service import issue_token
from manyi.core import db as core_db
from manyi.core.migrate import upgrade
from manyi.org.models import Department, Team
from manyi.org.regions import seed_regions
from manyi.org.service import create_user

N = int(os.environ.get("MANYI_BENCH_ORDERS", "1000000"))
REPEAT = 40
BASE = "/tmf-api/troubleTicket/v4/troubleTicket"


def populate(url: str) -> tuple[str, list[str]]:
    upgrade("head", url=url)
    engine = core_db.make_engine(url)
    with Session(engine) as s, s.begin():
        regions = [r.code for r in seed_regions(s) if r.level == "district"][:20]
        dept = Department(name="装维中心", kind="field_own", region_code="330100")
        s.add(dept)
        s.flush()
        s.add_all(
            Team(name=f"班组{i}", department_id=dept.id, region_code=regions[i % len(regions)])
            for i in range(20)
        )
        user = create_user(s, username="bench", roles=["supervisor"])
        token, _ = issue_token(s, user_id=user.id)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO work_orders (number, type, channel, priority, severity, status, stage, description,
                    region_code, team_id, owner_id, created_at, updated_at, version, sla_breached,
                    sla_provisional, reopen_count, contact_attempts, note_count, attachment_count, link_count)
                SELECT 'GD' || lpad(g::text, 14, '0'),
                       (ARRAY['fault','complaint','install','inquiry','move'])[1 + g % 5], 'hotline', 1 + g % 4, 'minor',
                       (ARRAY['acknowledged','inProgress','pending','resolved','closed','closed','closed','cancelled'])[1 + g % 8],
                       'x', '宽带无法上网', (CAST(:regions AS text[]))[1 + g % 20], (SELECT min(id) FROM teams) + g % 20, NULL,
                       now() - (((g * 97) % 5184000) * interval '1 second'), now(), 1, g % 13 = 0, false, 0, 0, 0, 0, 0
                FROM generate_series(1, :n) g
                """
            ),
            {"n": N, "regions": regions},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # What autovacuum does soon after a bulk load: statistics and the visibility map, which
        # index-only scans (the exact counts) rely on.
        conn.execute(text("VACUUM ANALYZE work_orders"))
    print(json.dumps({"generated": N, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    team_ids = [str(i) for i in range(1, 21)]
    engine.dispose()
    return token, [regions[5], team_ids[4]]


def main() -> None:
    with scratch_database() as url:
        token, (region, team) = populate(url)
        os.environ["MANYI_DATABASE_URL"] = url
        from manyi.core.settings import get_settings

        get_settings.cache_clear()
        core_db.set_engine(None)
        from manyi.app import create_app

        client = TestClient(create_app())
        headers = {"Authorization": f"Bearer {token}"}
        fields = "status,stage,priority,creationDate,team,region,slaBreached,expectedResolutionDate"
        queries = {
            "status": {"status": "inProgress,pending"},
            "team": {"team.id": team, "status": "acknowledged,inProgress,pending"},
            "region": {"region.id": region, "status": "inProgress"},
            "breached": {"slaBreached": "true", "status": "inProgress,pending"},
            "date_range": {
                "creationDate.gte": "2026-11-01T00:00:00+08:00",
                "creationDate.lt": "2026-11-08T00:00:00+08:00",
            },
        }
        result: dict[str, object] = {"bench": "ticket_list", "backend": "postgresql", "n": N}
        worst = 0.0
        engine = core_db.get_engine()
        for label, params in queries.items():
            query = {**params, "fields": fields, "limit": 50, "offset": 0}
            client.get(BASE, params=query, headers=headers)
            with capture_statements(engine) as captured:
                assert client.get(BASE, params=query, headers=headers).status_code == 200
            floor = p95(replay_seconds(engine, captured, REPEAT)) * 1000
            timings = []
            for i in range(REPEAT):
                t = time.perf_counter()
                r = client.get(
                    BASE,
                    params={**params, "fields": fields, "limit": 50, "offset": 50 * (i % 3)},
                    headers=headers,
                )
                timings.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            page = p95(timings) * 1000
            worst = max(worst, page)
            result[f"{label}_p95_ms"] = round(page, 1)
            result[f"{label}_engine_p95_ms"] = round(floor, 1)
            result[f"{label}_ratio"] = round(page / floor, 1)
            result[f"{label}_median_ms"] = round(statistics.median(timings) * 1000, 1)
            result[f"{label}_total"] = int(r.headers["x-total-count"])
        result["worst_p95_ms"] = round(worst, 1)
        result["peer"] = "the database engine alone: each request's statements replayed raw"
        emit(result)


if __name__ == "__main__":
    main()
