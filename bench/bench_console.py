"""Console pages on 1,000,000 work orders in PostgreSQL: the demo operator generated at that scale
(bulk path: customers, orders, clocks, history), then each page requested repeatedly through the
real app in-process (ASGI client, so the figures are server time: routing, queries, templates).
Prints one JSON line with p50/p95 per page.

Targets (issue 4): queue and board pages p95 < 150 ms; the order page < 100 ms with 200 history
events. The peer, per page, in the same run: the database engine alone, i.e. the very statements
one request of the page sent, with their parameters, replayed on a raw connection (bench/common.py);
the ratio says how much of a page's time is Manyi's own (routing, models, templates)."""

from __future__ import annotations

import os
import resource
import statistics
import time

from common import capture_statements, emit, p95, replay_seconds  # type: ignore[import-not-found]
from fastapi.testclient import TestClient
from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

N = int(os.environ.get("MANYI_BENCH_ORDERS", "1000000"))
REPEAT = int(os.environ.get("MANYI_BENCH_REPEAT", "30"))


def _history_order(session: Session) -> str:
    """An open order with 200 history events (notes and logged contact attempts), as a long-running
    complaint collects."""
    from manyi.orders.models import WorkOrder
    from manyi.orders.service import add_note, transition_order
    from manyi.org.models import User

    agent = session.scalars(select(User).where(User.username == "agent1")).one()
    order = session.scalars(
        select(WorkOrder).where(WorkOrder.status == "inProgress", WorkOrder.type == "complaint").limit(1)
    ).one()
    events = (
        session.scalar(text("SELECT count(*) FROM order_events WHERE order_id = :o"), {"o": order.id}) or 0
    )
    for i in range(max(0, 200 - events)):
        if i % 2:
            add_note(
                session, order_id=order.id, text=f"跟进记录 {i}：已与客户沟通处理进展", actor_id=agent.id
            )
        else:
            transition_order(
                session, order_id=order.id, action="contact_failed", actor_id=agent.id, reason="客户未接听"
            )
    return order.number


def _timed(client: TestClient, url: str, engine: Engine) -> dict[str, float]:
    for _ in range(3):  # warm the caches a long-running server has warm
        assert client.get(url).status_code == 200, url
    with capture_statements(engine) as captured:
        assert client.get(url).status_code == 200, url
    floor = replay_seconds(engine, captured, REPEAT)
    samples = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(p95(samples), 1),
        "statements": len(captured.statements),
        "engine_p95_ms": round(p95(floor) * 1000, 1),
        "ratio": round(p95(samples) / (p95(floor) * 1000), 1),
    }


def main() -> None:
    with scratch_database() as url:
        os.environ["MANYI_DATABASE_URL"] = url
        from manyi.core.settings import get_settings

        get_settings.cache_clear()
        from manyi.app import create_app
        from manyi.auth.service import issue_token
        from manyi.console.session import SESSION_COOKIE
        from manyi.core import db as core_db
        from manyi.core.migrate import upgrade
        from manyi.demo.generator import generate
        from manyi.orders.models import WorkOrder
        from manyi.org.models import User

        upgrade("head", url=url)
        t0 = time.perf_counter()
        generate(customers=20_000, orders=N)
        generated = time.perf_counter() - t0
        engine = core_db.get_engine()
        with Session(engine) as s, s.begin():
            number = _history_order(s)
            tokens = {
                name: issue_token(s, user_id=s.scalars(select(User.id).where(User.username == name)).one())[0]
                for name in ("agent1", "dispatcher1", "tech1", "supervisor1", "admin")
            }
            team_id = s.scalar(select(func.min(WorkOrder.team_id)))
            phone = s.scalar(text("SELECT phone FROM customers ORDER BY id LIMIT 1"))
            name = s.scalar(text("SELECT name FROM customers ORDER BY id LIMIT 1")) or "张"
            spaced = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        pages = {
            "workbench": ("agent1", "/workbench"),
            "orders_search_phone": ("agent1", f"/orders?q={phone}"),
            # Issue 12: one box for every key, full text included (trigram index on 3+ characters).
            "orders_search_phone_spaced": ("agent1", f"/orders?q={spaced}"),
            "orders_search_name_prefix": ("agent1", f"/orders?q={name[0]}"),
            "orders_search_words": ("agent1", "/orders?q=国际漫游"),
            "orders_search_words_rare": ("agent1", "/orders?q=光纤熔接"),
            "orders_search_two_characters": ("agent1", "/orders?q=掉线"),
            "orders_search_number_part": ("agent1", f"/orders?q={number[-8:]}"),
            "orders_status": ("supervisor1", "/orders?status=inProgress"),
            "board": ("dispatcher1", "/board"),
            "board_unassigned_team": ("dispatcher1", f"/board?section=unassigned&team={team_id}"),
            "jobs": ("tech1", "/jobs"),
            "supervisor": ("supervisor1", "/supervisor"),
            "order_page_200_events": ("agent1", f"/orders/{number}"),
        }
        app = create_app()
        results = {}
        for name, (user, path) in pages.items():
            with TestClient(app) as client:
                client.cookies.set(SESSION_COOKIE, tokens[user])
                results[name] = _timed(client, path, engine)
        queue_pages = [v["p95_ms"] for k, v in results.items() if k != "order_page_200_events"]
        emit(
            {
                "bench": "console_pages",
                "backend": "postgresql",
                "n": N,
                "generate_seconds": round(generated, 1),
                "pages": results,
                "worst_queue_p95_ms": max(queue_pages),
                "order_page_p95_ms": results["order_page_200_events"]["p95_ms"],
                "search_p95_ms": max(
                    v["p95_ms"] for k, v in results.items() if k.startswith("orders_search")
                ),
                "targets_met": max(queue_pages) < 150 and results["order_page_200_events"]["p95_ms"] < 100,
                "peer": "the database engine alone: each page's statements replayed raw",
                "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )


if __name__ == "__main__":
    main()
