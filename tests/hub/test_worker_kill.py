"""`kill -9` of the worker in the middle of webhook deliveries, again and again: every event still
arrives, in order per ticket, and each kill repeats at most the one event that was in flight (per
subscriber), because each delivery is recorded as it succeeds (on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from manyi.hub import service as hub
from manyi.outbox.models import OutboxMessage
from manyi.outbox.service import deliver_due
from tests.hub.test_hub import Listener, _ticket

KILLS = 8
TICKETS = 6
EVENTS = 200  # per subscriber
SUBSCRIBERS = ("crm", "noc")


def _undelivered(engine: Engine) -> int:
    with Session(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
            or 0
        )


@pytest.fixture
def listener() -> Listener:
    server = Listener().start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.mark.slow  # a dozen worker processes started and killed
@pytest.mark.timeout(900)  # each start imports the app: slow when the parallel suite loads both cores
def test_worker_killed_mid_delivery_repeats_at_most_the_event_in_flight(
    engine: Engine, session: Session, listener: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in SUBSCRIBERS:
        hub.subscribe(
            session, api="troubleTicket", callback=f"{listener.url}/{name}", query=None, actor_id=None
        )
    session.commit()
    emitted: dict[str, list[str]] = defaultdict(list)  # per ticket, in emission order (one subscriber's view)
    at = datetime.now(UTC) - timedelta(seconds=1)
    for i in range(EVENTS):
        number = f"GD20261102{i % TICKETS:06d}"
        hub.emit(
            session,
            api="troubleTicket",
            event_type="TroubleTicketAttributeValueChangeEvent",
            resource=_ticket(number, seq=i),
            ordering_key=f"ticket:{number}",
            at=at,
        )
    session.commit()
    for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        if message.payload["url"].startswith(f"{listener.url}/{SUBSCRIBERS[0]}/"):
            body = message.payload["body"]
            emitted[body["event"]["troubleTicket"]["id"]].append(body["event"]["troubleTicket"]["seq"])
    session.close()

    listener.delay = 0.003  # a listener that takes a moment: kills land while a POST is in flight
    env = {
        **os.environ,
        "MANYI_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MANYI_WORKER_IDLE_SECONDS": "0.05",
    }
    worker = [sys.executable, "-m", "manyi.cli", "worker"]
    rng = random.Random(17)
    kills = 0
    while kills < KILLS and _undelivered(engine):
        seen = len(listener.received)
        target = seen + rng.randint(3, 40)  # kill after a few to a few dozen deliveries of this run
        proc = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(listener.received) < target and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
    assert kills == KILLS, "the events ran out before the kills: emit more"
    listener.delay = 0
    # What the last worker left (its pass ends after a few seconds' budget), as its next passes would.
    deadline = time.monotonic() + 60
    while _undelivered(engine) and time.monotonic() < deadline:
        with Session(engine) as s:
            deliver_due(s, at=datetime.now(UTC))
    assert _undelivered(engine) == 0

    copies: dict[str, Counter[str]] = {name: Counter() for name in SUBSCRIBERS}
    seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
    for path, body in listener.received:
        subscriber = path.split("/")[2]  # /hooks/<subscriber>/listener/<event>
        copies[subscriber][body["eventId"]] += 1
        seqs[(subscriber, body["event"]["troubleTicket"]["id"])].append(body["event"]["troubleTicket"]["seq"])
    repeats = {name: sum(n - 1 for n in counts.values()) for name, counts in copies.items()}
    most = max(max(counts.values()) for counts in copies.values())
    with capsys.disabled():
        print(
            f"\n[{engine.dialect.name}] {kills} kills: repeated deliveries per subscriber {repeats}, "
            f"most copies of one event {most}, events per subscriber {EVENTS}"
        )
    for name in SUBSCRIBERS:
        assert len(copies[name]) == EVENTS  # nothing lost
        assert repeats[name] <= kills  # at most the event in flight, per kill
    # In order per ticket and subscriber: a repeat comes straight after its original.
    for (_subscriber, number), got in seqs.items():
        assert [s for i, s in enumerate(got) if i == 0 or got[i - 1] != s] == emitted[number]
