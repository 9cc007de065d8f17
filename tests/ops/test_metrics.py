"""/metrics: Prometheus text that prometheus_client's own parser reads, HTTP series by route template,
the background work's gauges with the values the database holds, and who may read it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from manyi.app import create_app
from manyi.core import db as core_db
from manyi.core.settings import reset_settings
from manyi.ops.heartbeat import Heartbeat
from manyi.orders.service import create_order
from manyi.outbox.models import OutboxMessage
from manyi.outbox.service import deliver_due
from tests.fixtures.api import Api
from tests.fixtures.live import free_port, live_server
from tests.fixtures.operator import Operator

TOKEN = "scrape-secret-0123456789"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("MANYI_METRICS_TOKEN", TOKEN)
    reset_settings()
    yield {"Authorization": f"Bearer {TOKEN}"}
    reset_settings()


def scrape(client: TestClient | httpx.Client, headers: dict[str, str]) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_http_series_by_route_template(api: Api, token: dict[str, str]) -> None:
    client = api.client
    before = scrape(client, token)
    numbers = []
    for _ in range(3):
        created = client.post(
            TICKETS,
            json={
                "description": "宽带无法上网",
                "severity": "minor",
                "ticketType": "fault",
                "region": {"id": "330106"},
            },
            headers=api.headers(),
        )
        numbers.append(created.json()["id"])
    for number in numbers:
        assert client.get(f"{TICKETS}/{number}", headers=api.headers()).status_code == 200
    client.get(f"{TICKETS}/GD-none", headers=api.headers())
    client.get("/no/such/page/at/all")
    after = scrape(client, token)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("manyi_http_requests_total", method="POST", route=TICKETS, status="201") == 3
    assert delta("manyi_http_requests_total", method="GET", route=f"{TICKETS}/{{id}}", status="200") == 3
    assert delta("manyi_http_requests_total", method="GET", route=f"{TICKETS}/{{id}}", status="404") == 1
    assert delta("manyi_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert delta("manyi_http_request_duration_seconds_count", method="POST", route=TICKETS) == 3
    assert delta("manyi_http_request_duration_seconds_bucket", method="POST", route=TICKETS, le="+Inf") == 3
    assert delta("manyi_http_request_duration_seconds_sum", method="POST", route=TICKETS) > 0
    routes = {dict(labels).get("route", "") for _, labels in after}
    assert not any("GD" in route or "/no/such" in route for route in routes), routes  # never a raw path


def test_background_work_gauges_hold_the_database_s_figures(
    api: Api, session: Session, operator: Operator, token: dict[str, str]
) -> None:
    client = api.client
    fresh = scrape(client, token)
    assert value(fresh, "manyi_database_up") == 1
    assert value(fresh, "manyi_outbox_backlog") == 0 and value(fresh, "manyi_outbox_oldest_age_seconds") == 0
    assert value(fresh, "manyi_sla_clocks_overdue", kind="first_contact") == 0
    assert value(fresh, "manyi_worker_last_pass_age_seconds") == float("inf")  # no worker ever ran

    # Three orders taken 20 days ago (beyond any holiday): their 2-working-hour first-contact clocks
    # are long overdue, and their warning and breach steps are due for the worker.
    long_ago = datetime.now(UTC) - timedelta(days=20)
    for _ in range(3):
        create_order(
            session,
            type="fault",
            description="断网",
            channel="hotline",
            region_code="330106",
            actor_id=operator.agent.id,
            at=long_ago,
        )
    # Two messages waiting, the older an hour old; one of them fails its delivery (no such channel).
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    session.add_all(
        [
            OutboxMessage(
                created_at=an_hour_ago,
                topic="test",
                channel="carrier-pigeon",
                dedupe_key="m1",
                available_at=an_hour_ago,
                payload={},
            ),
            OutboxMessage(
                created_at=datetime.now(UTC),
                topic="test",
                channel="log",
                dedupe_key="m2",
                available_at=datetime.now(UTC) + timedelta(hours=1),
                payload={},
            ),
        ]
    )
    session.commit()
    assert deliver_due(session, at=datetime.now(UTC)) == 0  # m1 fails, m2 is not due yet
    session.commit()
    Heartbeat("test-worker").beat(force=True)

    samples = scrape(client, token)
    assert value(samples, "manyi_sla_clocks_overdue", kind="first_contact") == 3
    assert value(samples, "manyi_sla_clocks_due", kind="first_contact") == 3
    assert value(samples, "manyi_outbox_backlog") == 2
    assert value(samples, "manyi_outbox_failed_deliveries") == 1
    assert 3600 <= value(samples, "manyi_outbox_oldest_age_seconds") < 3600 + 60
    assert 0 <= value(samples, "manyi_worker_last_pass_age_seconds") < 60
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10), tick=False):
        later = scrape(client, token)
    assert 600 <= value(later, "manyi_worker_last_pass_age_seconds") < 660


def test_metrics_are_refused_outside_the_allowed_networks_without_the_token(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYI_METRICS_TOKEN", TOKEN)
    reset_settings()
    try:
        refused = api.client.get("/metrics")  # the test client is no network address at all
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        assert api.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        with live_server() as base_url:  # from 127.0.0.1: the default allowed network
            assert httpx.get(f"{base_url}/metrics").status_code == 200
            monkeypatch.setenv("MANYI_METRICS_ALLOWED_NETWORKS", "10.0.0.0/8")
            reset_settings()
            assert httpx.get(f"{base_url}/metrics").status_code == 403
            assert (
                httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
                == 200
            )
    finally:
        reset_settings()


def test_metrics_still_answer_when_the_database_is_down(token: dict[str, str]) -> None:
    core_db.set_engine(
        core_db.make_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x", connect_timeout_seconds=2
        )
    )
    try:
        samples = scrape(TestClient(create_app()), token)
    finally:
        core_db.set_engine(None)
    assert value(samples, "manyi_database_up") == 0
    assert ("manyi_outbox_backlog", ()) not in samples


SCRAPER = """
import os
import sys
from fastapi.testclient import TestClient
from manyi.app import create_app
client = TestClient(create_app())
for _ in range(int(sys.argv[1])):
    client.get("/healthz")
headers = {"Authorization": "Bearer " + os.environ["MANYI_METRICS_TOKEN"]}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(client.get("/metrics", headers=headers).text)
"""


def test_several_processes_add_their_http_series_up(tmp_path: Path) -> None:
    # `manyi serve --workers N` runs N processes; whichever answers the scrape reports them all.
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "MANYI_METRICS_TOKEN": TOKEN,
        "MANYI_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
    }
    (tmp_path / "metrics").mkdir()

    def healthz_total(calls: int) -> float:
        scraped = tmp_path / "scraped.txt"
        out = subprocess.run(
            [sys.executable, "-c", SCRAPER, str(calls), str(scraped)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        families = text_string_to_metric_families(scraped.read_text(encoding="utf-8"))
        return sum(
            s.value
            for f in families
            for s in f.samples
            if s.name == "manyi_http_requests_total" and s.labels.get("route") == "/healthz"
        )

    assert healthz_total(2) == 2
    assert healthz_total(3) == 5  # the first process's two, from its file, and this one's three
