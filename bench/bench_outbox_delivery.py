"""Outbox webhook delivery: N due TMF events (over 100 tickets, in order per ticket) POSTed to a real
HTTP listener by the worker's delivery passes, each delivery recorded as it succeeds.

Peer: the same N POSTs with the same pooled HTTP client and no database, so `ratio` is the share of
the listener-bound ceiling the outbox keeps. Prints one JSON line per backend (SQLite file, and
PostgreSQL when MANYI_BENCH_POSTGRES_URL or the local server is reachable).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pgscratch import scratch_database  # type: ignore[import-not-found]
from sqlalchemy import func, insert, select

from manyi.core import db as core_db
from manyi.core.model_registry import load_all_models
from manyi.outbox.models import OutboxMessage
from manyi.outbox.service import _http
from manyi.worker import run_pass

TICKETS = 100


class Listener:
    """A webhook listener answering 204 to every POST, counting them."""

    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real listeners

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    outer.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _body(i: int) -> dict[str, Any]:
    ticket = f"GD20261102{i % TICKETS:06d}"
    return {
        "eventId": str(uuid.uuid4()),
        "eventTime": "2026-11-02T02:00:00.000Z",
        "eventType": "TroubleTicketAttributeValueChangeEvent",
        "event": {"troubleTicket": {"id": ticket, "seq": i, "description": "宽带无法上网，光猫红灯"}},
    }


def populate(engine: Any, n: int, url: str) -> None:
    at = datetime.now(UTC) - timedelta(seconds=1)
    rows = [
        {
            "created_at": at,
            "topic": "TroubleTicketAttributeValueChangeEvent",
            "channel": "webhook",
            "payload": {"url": f"{url}/listener/troubleTicketAttributeValueChangeEvent", "body": _body(i)},
            "dedupe_key": f"bench:{i}",
            "ordering_key": f"hub:1:ticket:{i % TICKETS}",
            "available_at": at,
            "attempts": 0,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(OutboxMessage), rows)


def peer(n: int, url: str) -> float:
    """Seconds for n POSTs of the same bodies with the outbox's HTTP client, no database."""
    client = _http()
    t0 = time.perf_counter()
    for i in range(n):
        with client.stream("POST", f"{url}/listener/peer", json=_body(i)) as response:
            assert response.status_code == 204
    return time.perf_counter() - t0


def run(backend: str, url: str, n: int) -> dict[str, object]:
    listener = Listener()
    engine = core_db.make_engine(url)
    load_all_models().metadata.create_all(engine)
    populate(engine, n, listener.url)
    core_db.set_engine(engine)
    peer(50, listener.url)  # warm the connection pool and the listener
    peer_seconds = peer(n, listener.url)
    listener.count = 0
    t0 = time.perf_counter()
    delivered = 0
    while delivered < n:
        delivered += run_pass(batch=500).delivered
    seconds = time.perf_counter() - t0
    with engine.connect() as conn:
        left = conn.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None)))
    assert left == 0 and listener.count == n, (left, listener.count)
    peer_seconds = min(peer_seconds, peer(n, listener.url))  # the better of before and after: less noise
    engine.dispose()
    listener.server.shutdown()
    return {
        "bench": "outbox_delivery",
        "backend": backend,
        "n": n,
        "seconds": round(seconds, 3),
        "per_s": round(n / seconds),
        "peer": "the same POSTs, same pooled client, no database",
        "peer_per_s": round(n / peer_seconds),
        "ratio": round(peer_seconds / seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000)
    args = parser.parse_args()
    import logging

    from manyi.core.logging import configure_logging

    configure_logging("WARNING")
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run("sqlite", f"sqlite:///{tmp}/bench.db", args.messages)), flush=True)
    with scratch_database() as url:
        print(json.dumps(run("postgresql", url, args.messages)), flush=True)


if __name__ == "__main__":
    main()
