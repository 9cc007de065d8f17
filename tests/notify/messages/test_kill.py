"""kill -9 the worker while it sends to a real SMSC, restart it, and count: lost must be 0;
duplicated (a window the gateway answered but the worker did not record) at most one window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from manyi.notify.models import NotifyMessage
from manyi.notify.sms import join_segments
from tests.notify.smpp.smsc import SmscProcess

CST = timezone(timedelta(hours=8))
N = 2000
WINDOW = 20


def _write(engine: Engine) -> None:
    at = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    rows = [
        {
            "created_at": at,
            "channel": "sms",
            "event": "test",
            "locale": "zh-CN",
            "address": f"86138{i:08d}",
            "text": f"【满意客服】消息{i:05d}",
            "segments": 1,
            "urgent": False,
            "status": "queued",
            "attempts": 0,
            "available_at": at,
            "dedupe_key": f"kill:{i}",
        }
        for i in range(N)
    ]
    with Session(engine) as s:
        s.execute(insert(NotifyMessage), rows)
        s.commit()


def _submitted(engine: Engine) -> int:
    with Session(engine) as s:
        return int(
            s.scalar(select(func.count()).where(NotifyMessage.status.in_(("submitted", "delivered")))) or 0
        )


def test_worker_killed_mid_window_loses_nothing_and_repeats_at_most_a_window(
    engine: Engine, smsc: SmscProcess
) -> None:
    _write(engine)
    smsc.command("set", delay=0.01, receipts=False)  # a gateway across a network: 10 ms per answer
    env = {
        **os.environ,
        "MANYI_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MANYI_NOTIFY_SMS_GATEWAYS": f"smpp://manyi:pw@127.0.0.1:{smsc.port}?window={WINDOW}&rate=0&source_addr=10655",
        "MANYI_NOTIFY_LEASE_SECONDS": "1",
        "MANYI_WORKER_IDLE_SECONDS": "0.2",
    }
    worker = [sys.executable, "-m", "manyi.cli", "worker"]
    proc = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _submitted(engine) < N // 4:
        time.sleep(0.2)  # seldom: a reader holds SQLite's write lock (BEGIN IMMEDIATE) while it reads
    # Mid-window: the SMSC is answering submits the worker has not recorded yet.
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = _submitted(engine)
    assert 0 < partial < N
    time.sleep(1.2)  # the dead worker's lease on its claimed window runs out
    subprocess.run([*worker, "--once"], env=env, check=True, timeout=120, capture_output=True)
    assert _submitted(engine) == N

    records = smsc.command("stats", records=True)["records"]
    texts = Counter(join_segments([bytes.fromhex(r["payload"])]) for r in records)
    lost = [i for i in range(N) if texts[f"【满意客服】消息{i:05d}"] == 0]
    duplicated = sum(count - 1 for count in texts.values())
    print(
        f"kill test: {N} messages, killed after {partial} recorded; lost {len(lost)}, duplicated {duplicated}"
    )
    assert lost == []
    assert duplicated <= WINDOW
    with Session(engine) as s:
        assert s.scalar(select(func.max(NotifyMessage.attempts))) <= 2
