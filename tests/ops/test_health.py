"""A database that is down or stuck (issue 17): every page answered an instant plain-text 500, and a
database that accepts and never answers made requests hang past 90 s. Now: 503 with the TMF error
body (the console: an HTML page in zh-CN) within the configured timeouts; /healthz answers without
the database; /readyz says why the process is not ready."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from manyi.app import create_app
from manyi.console.session import SESSION_COOKIE
from manyi.core import db as core_db
from manyi.core.migrate import alembic_config
from manyi.core.settings import reset_settings
from manyi.ops.health import migration_heads
from tests.api.test_probe_replay import assert_tmf_error
from tests.fixtures.api import Api
from tests.fixtures.live import free_port, live_server

TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
CONNECT_TIMEOUT = 2


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts every connection and never says a word (a hung database host)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(200)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    listener.close()


def _broken_engine(dialect: str, tmp_path: Path, port: int) -> Engine:
    """An engine whose database cannot be reached: a closed port, or a file that cannot be opened."""
    if dialect == "sqlite":
        return core_db.make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'manyi.db'}")
    return core_db.make_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/manyi", connect_timeout_seconds=CONNECT_TIMEOUT
    )


def test_an_unreachable_database_gets_503_and_healthz_still_answers(engine: Engine, tmp_path: Path) -> None:
    core_db.set_engine(_broken_engine(engine.dialect.name, tmp_path, free_port()))
    client = TestClient(create_app())
    started = time.monotonic()
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get(TICKETS, headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "reason": "Service Unavailable",
        "message": "the database is not available at the moment; try again shortly",
        "status": "503",
    }
    assert response.headers["retry-after"] == "5"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["message"].startswith("database unreachable:")
    # The console: its HTML error page, in Chinese.
    client.cookies.set(SESSION_COOKIE, "whatever")
    page = client.get("/workbench")
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "数据库暂时无法访问" in page.text
    login = client.get("/login")  # the login page itself needs no database
    assert login.status_code == 200
    assert time.monotonic() - started < 10  # refused connections fail at once


@pytest.mark.postgres
def test_a_database_that_never_answers_gets_503_within_the_connect_timeout(
    silent_server: int, pg_server_url: str
) -> None:
    core_db.set_engine(
        core_db.make_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/manyi",
            connect_timeout_seconds=CONNECT_TIMEOUT,
            pool_timeout_seconds=CONNECT_TIMEOUT,
        )
    )
    try:
        with live_server() as base_url:
            started = time.monotonic()
            response = httpx.get(f"{base_url}{TICKETS}", headers={"Authorization": "Bearer x"}, timeout=30)
            assert response.status_code == 503
            assert time.monotonic() - started < CONNECT_TIMEOUT + 3

            # 45 requests pending on the silent database used to starve the server until even /login
            # timed out: now each gives up within the timeouts, and /login answers meanwhile.
            def call(_: int) -> int:
                return httpx.get(
                    f"{base_url}{TICKETS}", headers={"Authorization": "Bearer x"}, timeout=60
                ).status_code

            with ThreadPoolExecutor(max_workers=45) as pool:
                pending = [pool.submit(call, i) for i in range(45)]
                time.sleep(0.3)
                started = time.monotonic()
                login = httpx.get(f"{base_url}/login", timeout=30)
                assert login.status_code == 200
                assert time.monotonic() - started < 3 * CONNECT_TIMEOUT + 5
                statuses = [f.result() for f in pending]
            assert set(statuses) == {503}
            ready = httpx.get(f"{base_url}/readyz", timeout=30)
            assert ready.status_code == 503 and "database unreachable" in ready.json()["message"]
    finally:
        core_db.get_engine().dispose()
        core_db.set_engine(None)


def test_a_statement_stuck_behind_a_lock_gets_503_within_the_timeout(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: statement_timeout cancels a statement waiting on a row lock. SQLite: a writer
    waits busy_timeout for the database lock, then gives up."""
    monkeypatch.setenv("MANYI_SQLITE_BUSY_TIMEOUT_SECONDS", "1")
    reset_settings()
    created = api.client.post(
        TICKETS,
        json={
            "description": "宽带无法上网",
            "severity": "minor",
            "ticketType": "fault",
            "region": {"id": "330106"},
        },
        headers=api.headers(),
    )
    number = created.json()["id"]
    stuck = core_db.make_engine(engine.url.render_as_string(hide_password=False), statement_timeout_seconds=1)
    core_db.set_engine(stuck)
    blocker = engine.connect()
    try:
        # An open transaction holding the order's row (PostgreSQL) or the write lock (SQLite).
        lock = "SELECT 1 FROM work_orders WHERE number = :n FOR UPDATE"
        if engine.dialect.name == "sqlite":
            lock = "UPDATE work_orders SET version = version WHERE number = :n"
        blocker.execute(text(lock), {"n": number})
        client = TestClient(create_app())
        started = time.monotonic()
        response = client.patch(
            f"{TICKETS}/{number}",
            json={"description": "改"},
            headers={**api.headers(), "Content-Type": "application/merge-patch+json"},
        )
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "service_unavailable"
        assert time.monotonic() - started < 8
    finally:
        blocker.rollback()
        blocker.close()
        stuck.dispose()
        core_db.set_engine(engine)
        reset_settings()


def test_readyz_names_a_database_that_is_not_migrated(engine: Engine) -> None:
    client = TestClient(create_app())
    head = ",".join(sorted(migration_heads()))
    url = engine.url.render_as_string(hide_password=False)
    try:
        # The test schema comes from create_all: tables, but no migration ever ran.
        response = client.get("/readyz")
        assert_tmf_error(response, 503, "database not migrated")
        assert response.json()["message"] == (
            f"database not migrated: at revision none, this version needs {head}; run `manyi db upgrade`"
        )
        command.stamp(alembic_config(url), "0008")
        assert "at revision 0008" in client.get("/readyz").json()["message"]
        command.stamp(alembic_config(url), "head")
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "database": "ok", "revision": head}
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_a_migrated_database_is_ready(tmp_path: Path) -> None:
    from manyi.core.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade("head", url=url)
    migrated = core_db.make_engine(url)
    core_db.set_engine(migrated)
    try:
        assert TestClient(create_app()).get("/readyz").status_code == 200
    finally:
        core_db.set_engine(None)
        migrated.dispose()
