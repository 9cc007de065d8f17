"""Customers' replies (MO) through the client: short, long (joined), GBK; a DELIVER is answered
only after the callback accepted it, so a failing callback gets it again instead of losing it."""

from __future__ import annotations

from manyi.notify.cmpp.client import CmppClient
from manyi.notify.cmpp.constants import MsgFmt
from manyi.notify.cmpp.pdu import Deliver, StatusReport
from manyi.notify.cmpp.simulator import IsmgSimulator
from manyi.notify.cmpp.text import encode_text
from manyi.notify.sms import DeliveryReceipt, InboundSms, OutgoingSms
from tests.notify.cmpp.helpers import ACCESS_CODE, ACCOUNT, client_config, run_async, sim_config


@run_async
async def test_a_reply_reaches_the_callback_with_sender_and_extension() -> None:
    replies: list[InboundSms] = []
    async with IsmgSimulator(sim_config()) as sim, CmppClient(client_config(sim.port)) as client:
        client.on_inbound = replies.append
        [gateway_id] = sim.inject_mo("13800138000", ACCESS_CODE + "88", "好的，谢谢", link_id="L1")
        await sim.wait_until(lambda: sim.stats.delivers_acknowledged == 1)
    [reply] = replies
    assert (reply.sender, reply.to, reply.text) == ("13800138000", ACCESS_CODE + "88", "好的，谢谢")
    assert reply.extra["gateway_id"] == gateway_id and reply.extra["link_id"] == "L1"
    assert reply.received_at is not None and reply.received_at.utcoffset() is not None
    assert client.stats.inbound == 1 and sim.pending_delivers == 0


@run_async
async def test_a_long_reply_is_joined_and_each_segment_answered_after_the_callback() -> None:
    text = "师傅今天下午没有来，我一直在家等，请尽快安排时间上门维修，谢谢。" * 5  # 160 characters
    replies: list[InboundSms] = []

    async def store(reply: InboundSms) -> None:
        # none of the three segments is answered before the whole reply is stored
        assert sim.stats.delivers_acknowledged == 0
        replies.append(reply)

    async with (
        IsmgSimulator(sim_config()) as sim,
        CmppClient(client_config(sim.port), on_inbound=store) as client,
    ):
        ids = sim.inject_mo("13800138000", ACCESS_CODE, text)
        await sim.wait_until(lambda: sim.stats.delivers_acknowledged == 3)
    assert len(ids) == 3
    [reply] = replies
    assert reply.text == text and reply.extra["segments"] == "3/3"
    assert client.stats.inbound == 1


@run_async
async def test_a_gbk_reply_and_a_hand_made_report_are_read() -> None:
    replies: list[InboundSms] = []
    receipts: list[DeliveryReceipt] = []
    async with IsmgSimulator(sim_config()) as sim:
        config = client_config(sim.port)
        async with CmppClient(config, on_inbound=replies.append, on_receipt=receipts.append):
            gbk = Deliver(11, ACCESS_CODE, "13800138000", "收到".encode("gbk"), msg_fmt=MsgFmt.GBK)
            report = StatusReport(77, "EXPIRED", "2612031600", "2612040830", "13800138000", 1)
            sim.inject_raw(ACCOUNT, gbk)
            sim.inject_raw(ACCOUNT, Deliver(12, ACCESS_CODE, "13800138000", report=report))
            await sim.wait_until(lambda: sim.stats.delivers_acknowledged == 2)
    assert [r.text for r in replies] == ["收到"]
    [receipt] = receipts
    assert (receipt.gateway_id, receipt.delivered, receipt.status) == ("77", False, "EXPIRED")
    assert (
        receipt.at is not None and receipt.at.isoformat() == "2026-12-04T00:30:00+00:00"
    )  # 08:30 in Beijing


@run_async
async def test_a_failing_callback_leaves_the_deliver_unanswered_and_it_comes_again() -> None:
    seen: list[str] = []

    def flaky(receipt: DeliveryReceipt) -> None:
        seen.append(receipt.gateway_id)
        if len(seen) == 1:
            raise RuntimeError("database down")

    async with (
        IsmgSimulator(sim_config(deliver_retry_after=0.1)) as sim,
        CmppClient(client_config(sim.port), on_receipt=flaky) as client,
    ):
        result = await client.submit(OutgoingSms(1, "13800138000", "hi"))
        await sim.wait_until(lambda: sim.stats.delivers_acknowledged == 1)
    assert seen == [result.gateway_ids[0]] * 2  # the same receipt twice: dedupe by gateway id
    assert client.stats.callback_failures == 1 and client.stats.receipts == 1
    assert sim.pending_delivers == 0 and sim.stats.delivers_abandoned == 0


@run_async
async def test_a_reply_missing_a_segment_is_handed_over_incomplete_after_the_timeout() -> None:
    replies: list[InboundSms] = []
    text = "满" * 100
    async with IsmgSimulator(sim_config()) as sim:
        # the gateway lost segment 2 of 2: only segment 1 arrives
        first = encode_text(text, 9).payloads[0]
        config = client_config(sim.port, mo_reassembly_timeout=0.2)
        async with CmppClient(config, on_inbound=replies.append):
            sim.inject_raw(
                ACCOUNT, Deliver(5, ACCESS_CODE, "13800138000", first, msg_fmt=MsgFmt.UCS2, tp_udhi=1)
            )
            await sim.wait_until(lambda: sim.stats.delivers_acknowledged == 1)
    [reply] = replies
    assert reply.text == "满" * 67 and reply.extra["segments"] == "1/2"
