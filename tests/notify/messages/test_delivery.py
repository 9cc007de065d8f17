"""SMS written in a transaction, sent by the worker's notification pass to a real SMSC (smpp34),
their receipts applied; retries, failover and the customer-protection rules on the way."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from manyi.notify.messages import queue_message
from manyi.notify.models import NotifyMessage, SmsOptOut
from manyi.notify.sms import join_segments
from manyi.notify.tasks import NotifyWork
from tests.notify.smpp.smsc import SmscProcess

CST = timezone(timedelta(hours=8))
MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=CST)  # outside quiet hours, and in the past: due now


def _queue(
    session: Session, n: int, *, text: str = "【满意客服】您的工单GD{i:04d}已受理。", **kw: object
) -> list[int]:
    ids = []
    for i in range(n):
        args: dict[str, object] = dict(
            channel="sms",
            event="order.accepted",
            address=f"1381234{i:04d}",
            text=text.format(i=i),
            at=MORNING,
        )
        args.update(kw)
        ids.append(queue_message(session, **args).id)  # type: ignore[arg-type]
    session.commit()
    return ids


def _statuses(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        out: dict[str, int] = {}
        for status in s.scalars(select(NotifyMessage.status)):
            out[status] = out.get(status, 0) + 1
        return out


def _until(check: object, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_sent_through_the_smsc_and_delivered_by_receipt(
    engine: Engine, session: Session, gateway_env: SmscProcess
) -> None:
    long_text = "【满意客服】" + "您的宽带故障已修复，感谢耐心等待。" * 6  # > 70 characters: UCS-2 segments
    ids = _queue(session, 30) + _queue(session, 1, text=long_text)
    work = NotifyWork.from_settings()
    try:
        assert work.run(limit=1000) >= 31
        assert gateway_env.command("stats")["submits"] == 30 + 2  # the long one in two segments

        def delivered() -> bool:
            work.run(limit=1000)
            return _statuses(engine) == {"delivered": 31}

        _until(delivered)
    finally:
        work.close()
    records = gateway_env.command("stats", records=True)["records"]
    long_parts = [bytes.fromhex(r["payload"]) for r in records if r["esm_class"] & 0x40]
    assert join_segments(long_parts, udh=True) == long_text
    with Session(engine) as s:
        first = s.get(NotifyMessage, ids[0])
        assert first is not None
        assert first.attempts == 1 and first.gateway == "primary" and first.gateway_ids
        assert first.address == "8613812340000" and first.delivered_at is not None
        # the reply address carries the message's extension
        # (the window submits concurrently: the SMSC's records are not in id order)
        assert "10655" + (first.extension or "") in {r["source"] for r in records}


def test_failed_receipt_marks_the_message_failed_with_the_gateway_status(
    engine: Engine, session: Session, gateway_env: SmscProcess
) -> None:
    gateway_env.command("set", receipt_stat="UNDELIV")
    _queue(session, 3)
    work = NotifyWork.from_settings()
    try:

        def failed() -> bool:
            work.run(limit=100)
            return _statuses(engine) == {"failed": 3}

        _until(failed)
    finally:
        work.close()
    with Session(engine) as s:
        assert {m.error_code for m in s.scalars(select(NotifyMessage))} == {"UNDELIV"}


def test_refused_submits_are_retried_later_then_fail_over_to_the_second_gateway(
    engine: Engine, session: Session, gateway_env: SmscProcess, monkeypatch: object
) -> None:
    import pytest

    from manyi.core.settings import reset_settings

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    backup = SmscProcess().start()
    try:
        # The primary is down (nothing listens on its port); the backup takes over after 2 attempts.
        mp.setenv(
            "MANYI_NOTIFY_SMS_GATEWAYS",
            "smpp://manyi:secret@127.0.0.1:9?name=primary&connect_timeout=0.5,"
            f"smpp://manyi:secret@127.0.0.1:{backup.port}?name=backup&source_addr=10656",
        )
        mp.setenv("MANYI_NOTIFY_FAILOVER_AFTER", "2")
        reset_settings()
        [mid] = _queue(session, 1)
        work = NotifyWork.from_settings()
        try:
            work.run(limit=10)
            with Session(engine) as s:
                m = s.get(NotifyMessage, mid)
                assert m is not None
                assert (m.status, m.attempts, m.error_code) == ("queued", 1, "NOT_CONNECTED")
                assert m.available_at is not None and m.available_at > datetime.now(CST)  # backing off
            for _ in range(2):  # the backoff elapses (moved, not waited for)
                with Session(engine) as s:
                    m = s.get(NotifyMessage, mid)
                    assert m is not None
                    m.available_at = datetime.now(CST) - timedelta(seconds=1)
                    s.commit()
                work.run(limit=10)
            with Session(engine) as s:
                m = s.get(NotifyMessage, mid)
                assert m is not None
                assert m.status in ("submitted", "delivered")
                assert (m.attempts, m.gateway) == (3, "backup")
        finally:
            work.close()
        assert backup.command("stats")["submits"] == 1
    finally:
        backup.stop()


def test_opted_out_number_is_suppressed_unless_urgent(
    engine: Engine, session: Session, gateway_env: SmscProcess
) -> None:
    session.add(SmsOptOut(address="8613812340000", at=MORNING, source="agent:1"))
    session.commit()
    care = queue_message(
        session, channel="sms", event="order.accepted", address="13812340000", text="关怀短信", at=MORNING
    )
    outage = queue_message(
        session,
        channel="sms",
        event="outage",
        address="13812340000",
        text="紧急：光缆中断抢修中",
        at=MORNING,
        urgent=True,
    )
    session.commit()
    assert care.status == "suppressed" and care.error_code == "opted_out"
    work = NotifyWork.from_settings()
    try:
        work.run(limit=10)
    finally:
        work.close()
    with Session(engine) as s:
        got = s.get(NotifyMessage, outage.id)
        assert got is not None and got.status in ("submitted", "delivered")
    assert gateway_env.command("stats")["submits"] == 1
