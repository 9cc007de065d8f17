"""Issue 12, bug 5: SIGTERM to `manyi serve --with-worker` stops the server and its worker (which
finishes its batch and says so), leaving no orphan; a real process, as an init system would stop it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fixtures.live import free_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # a zombie is gone for good, only not yet reaped
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_sigterm_stops_server_and_worker(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "manyi.db"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    env = {
        **os.environ,
        "MANYI_DATABASE_URL": f"sqlite:///{database}",
        "MANYI_SECRET_KEY": "k" * 16 + "x7Qp2Lr9Vb4Nz8Ws1Ty6Hm3Jd5",
        "MANYI_WORKER_IDLE_SECONDS": "45",
        "MANYI_LOG_LEVEL": "INFO",  # the worker says it stopped  # asleep between passes: it must still stop promptly
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "manyi.cli", "serve", "--with-worker", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 240  # a loaded machine starts Python slowly
        worker_pid = None
        while time.monotonic() < deadline:
            said = log.read_text(errors="replace")
            found = re.search(r"worker running \(pid (\d+)\)", said)
            worker_pid = int(found.group(1)) if found else None
            try:
                if (
                    worker_pid
                    and "worker_started" in said
                    and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("server did not start:\n" + log.read_text(errors="replace")[-3000:])
        assert worker_pid is not None and _alive(worker_pid)
        time.sleep(2)  # the worker is past its first pass, in its idle wait
        started = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        assert time.monotonic() - started < 25  # not the 45 s idle wait
        assert not _alive(worker_pid), "the worker was left running"
        assert "worker_stopped" in log.read_text(errors="replace")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
