"""What the SMSC delivers: receipts matched to the submitted segments, customers' messages joined."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from manyi.notify.smpp import SmppClient
from manyi.notify.sms import DeliveryReceipt, InboundSms, OutgoingSms
from tests.notify.smpp.smsc import SmscProcess
from tests.notify.smpp.test_submit import LONG_CHINESE, run, settings, sms


async def until(predicate: Any, timeout: float = 30.0) -> None:
    """Wait until predicate() holds (the SMSC's deliveries arrive after the submits' answers)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def eventually(read: Any, done: Any, timeout: float = 30.0) -> Any:
    """read() once done(value) holds (the SMSC notes answers a moment after they left the client)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.02)
        value = read()
    return value


def test_receipts_are_matched_to_every_segment_of_their_message(smsc: SmscProcess) -> None:
    messages = [sms(n) for n in range(1, 20)] + [
        OutgoingSms(message_id=20, to="8613800138000", text=LONG_CHINESE)
    ]
    receipts: list[DeliveryReceipt] = []

    async def scenario() -> list[Any]:
        async with SmppClient(settings(smsc), on_receipt=receipts.append) as client:
            results = await client.submit_many(messages)
            await until(lambda: len(receipts) == 22)
            return results

    results = run(scenario())
    by_segment = {gateway_id: result.message_id for result in results for gateway_id in result.gateway_ids}
    assert len(by_segment) == 22  # 19 short messages and 3 segments, each its own gateway id
    matched: dict[int, list[str]] = {}
    for receipt in receipts:
        matched.setdefault(by_segment[receipt.gateway_id], []).append(receipt.gateway_id)
        assert (receipt.delivered, receipt.status) == (True, "DELIVRD")
        assert receipt.at is not None and receipt.at.tzinfo is not None
    assert sorted(matched[20]) == sorted(results[-1].gateway_ids)
    assert set(matched) == set(range(1, 21))
    # Each receipt was answered ESME_ROK, after the callback had it.
    answers = eventually(lambda: smsc.command("stats")["receipt_answers"], lambda seen: len(seen) >= 22)
    assert answers == [0] * 22


def test_an_undelivered_receipt_says_so(smsc: SmscProcess) -> None:
    smsc.command("set", receipt_stat="UNDELIV")
    receipts: list[DeliveryReceipt] = []

    async def scenario() -> Any:
        async with SmppClient(settings(smsc), on_receipt=receipts.append) as client:
            result = await client.submit(sms(1))
            await until(lambda: receipts)
            return result

    result = run(scenario())
    assert [(r.gateway_id, r.delivered, r.status) for r in receipts] == [
        (result.gateway_ids[0], False, "UNDELIV")
    ]


def test_a_receipt_the_application_could_not_take_is_left_with_the_gateway(smsc: SmscProcess) -> None:
    # A callback that fails (the database is away) and a client with no callback both answer
    # ESME_RX_T_APPN: the gateway keeps the receipt and delivers it again later.
    attempts: list[str] = []

    def failing(receipt: DeliveryReceipt) -> None:
        attempts.append(receipt.gateway_id)
        raise RuntimeError("database unavailable")

    async def scenario() -> None:
        async with SmppClient(settings(smsc), on_receipt=failing) as client:
            await client.submit(sms(1))
            await until(lambda: len(smsc.command("stats")["receipt_answers"]) == 1)
        async with SmppClient(settings(smsc)) as client:
            await client.submit(sms(2))
            await until(lambda: len(smsc.command("stats")["receipt_answers"]) == 2)

    run(scenario())
    assert len(attempts) == 1
    assert smsc.command("stats")["receipt_answers"] == [0x64, 0x64]


def test_customers_messages_arrive_whole(smsc: SmscProcess) -> None:
    inbound: list[InboundSms] = []
    reply = "好的，明天上午在家，请师傅九点以后来。" * 8  # 3 segments from the handset

    async def scenario() -> list[dict[str, Any]]:
        async with SmppClient(settings(smsc), on_inbound=inbound.append) as client:
            await until(lambda: client.bound)
            answers = [
                await asyncio.to_thread(
                    smsc.command, "mo", sender="8613900139000", to="106550042", text="收到"
                ),
                await asyncio.to_thread(
                    smsc.command, "mo", sender="8613700137000", to="10655", text=reply, reference=200
                ),
            ]
            await until(lambda: len(inbound) == 2)
            return answers

    answers = run(scenario())
    assert [a["statuses"] for a in answers] == [[0], [0, 0, 0]]
    assert [(m.sender, m.to, m.text) for m in inbound] == [
        ("8613900139000", "106550042", "收到"),
        ("8613700137000", "10655", reply),
    ]
    assert all(m.received_at is not None for m in inbound)
