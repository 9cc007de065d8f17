"""Submitting through the client to the simulated gateway: window and rate kept, long messages
joined, receipts matched to the gateway's ids, throttling answered as retryable."""

from __future__ import annotations

import asyncio
from datetime import date

from manyi.notify.cmpp.client import INVALID_TEXT, INVALID_TO, CmppClient
from manyi.notify.cmpp.constants import MsgFmt
from manyi.notify.cmpp.simulator import IsmgSimulator
from manyi.notify.cmpp.text import parse_udh
from manyi.notify.sms import DeliveryReceipt, OutgoingSms
from tests.notify.cmpp.helpers import ACCESS_CODE, client_config, run_async, sim_config


def _numbers(count: int) -> list[str]:
    return [f"1380013{n:04d}" for n in range(count)]


@run_async
async def test_200_messages_keep_the_window_and_the_rate() -> None:
    rate, window, burst = 400.0, 8, 10
    # The gateway answers each SUBMIT after 5 ms: the window alone would allow 1600/s, so only the
    # rate limiter keeps to 400/s. The gateway's window is one wider than the client's, so a
    # client overrunning its own would be seen (over_window) rather than refused into retries.
    async with IsmgSimulator(sim_config(window=window + 1, submit_resp_delay=0.005)) as sim:
        config = client_config(sim.port, window=window, rate=rate, burst=burst)
        async with CmppClient(config) as client:
            loop = asyncio.get_running_loop()
            started = loop.time()
            messages = [OutgoingSms(i, to, f"您好，工单{i}已受理") for i, to in enumerate(_numbers(200))]
            results = await client.submit_many(messages)
            elapsed = loop.time() - started
    assert [r.message_id for r in results] == list(range(200))
    assert all(r.accepted and len(r.gateway_ids) == 1 for r in results)
    assert len({r.gateway_ids[0] for r in results}) == 200
    # the window: never exceeded, and used (a client sending one at a time would show 1)
    assert sim.stats.over_window == 0 and sim.stats.peak_in_flight == window
    assert client.stats.peak_in_flight == window
    # the rate: not faster than the bucket allows (a loaded machine is only slower) ...
    assert elapsed >= (200 - burst) / rate * 0.95
    # ... and no stretch of arrivals denser than burst + rate x its length (+ loopback jitter)
    arrivals = [segment.received_at for segment in sim.segments]
    for i in range(len(arrivals)):
        for j in range(i + 1, len(arrivals)):
            assert j - i + 1 <= burst + rate * (arrivals[j] - arrivals[i]) + 10, (i, j)


@run_async
async def test_a_long_chinese_message_goes_as_three_segments_the_gateway_joins() -> None:
    text = "尊敬的客户：您报修的宽带故障已派单，维修人员将于今日下午两点前上门，请保持电话畅通。" * 4
    assert 134 < len(text) <= 201  # three segments of at most 67 characters
    async with IsmgSimulator(sim_config()) as sim, CmppClient(client_config(sim.port)) as client:
        result = await client.submit(OutgoingSms(7, "13800138000", text, extension="88"))
    assert result.accepted and len(result.gateway_ids) == 3
    submits = [segment.submit for segment in sim.segments]
    assert [(s.pk_total, s.pk_number, s.tp_udhi, s.msg_fmt) for s in submits] == [
        (3, n, 1, MsgFmt.UCS2) for n in (1, 2, 3)
    ]
    udhs = [parse_udh(s.msg_content) for s in submits]
    assert len({u.reference for u in udhs}) == 1 and [u.number for u in udhs] == [1, 2, 3]
    assert all(s.src_id == ACCESS_CODE + "88" and s.msg_src == "901234" for s in submits)
    [message] = sim.messages
    assert message.text == text and message.gateway_ids == result.gateway_ids


@run_async
async def test_receipts_match_the_gateway_ids_and_failures_are_undelivered() -> None:
    receipts: list[DeliveryReceipt] = []
    failing = "13900000000"
    async with (
        IsmgSimulator(sim_config(failing_numbers={failing: "UNDELIV"})) as sim,
        CmppClient(client_config(sim.port), on_receipt=receipts.append) as client,
    ):
        messages = [OutgoingSms(i, to, "您的工单已完成" * 15) for i, to in enumerate(_numbers(3) + [failing])]
        results = await client.submit_many(messages)
        quiet = await client.submit(OutgoingSms(9, "13800000009", "no receipt", want_receipt=False))
        expected = sum(len(r.gateway_ids) for r in results)
        await sim.wait_until(lambda: sim.stats.delivers_acknowledged == expected)
    by_id = {r.gateway_id: r for r in receipts}
    assert len(receipts) == expected == 8  # two segments each, one report per segment
    for result in results:
        assert all(gateway_id in by_id for gateway_id in result.gateway_ids)
    assert {by_id[g].status for g in results[3].gateway_ids} == {"UNDELIV"}
    assert not any(by_id[g].delivered for g in results[3].gateway_ids)
    assert all(
        by_id[g].delivered and by_id[g].status == "DELIVRD" for r in results[:3] for g in r.gateway_ids
    )
    assert all(r.at is not None and r.at.utcoffset() is not None for r in receipts)
    assert quiet.accepted and quiet.gateway_ids[0] not in by_id
    assert client.stats.receipts == 8 and sim.pending_delivers == 0


@run_async
async def test_flow_control_result_8_comes_back_retryable() -> None:
    async with (
        IsmgSimulator(sim_config(rate=20)) as sim,
        CmppClient(client_config(sim.port, rate=0)) as client,
    ):  # a client ignoring the rate
        results = await client.submit_many(OutgoingSms(i, to, "hi") for i, to in enumerate(_numbers(60)))
    refused = [r for r in results if not r.accepted]
    assert refused, "the gateway should have throttled a client sending 60 at once"
    assert all(r.error_code == "8" and r.retryable and r.gateway_ids == () for r in refused)
    assert sum(r.accepted for r in results) == sim.stats.accepted >= 20
    assert client.stats.throttled == len(refused) == sim.stats.throttled


@run_async
async def test_a_throttled_later_segment_is_sent_again_so_the_message_stays_whole() -> None:
    # two SUBMITs per 0.2 s: the third segment is refused, then taken when the period has passed
    async with (
        IsmgSimulator(sim_config(rate=10, rate_period=0.2)) as sim,
        CmppClient(client_config(sim.port, rate=0, segment_retries=5)) as client,
    ):
        result = await client.submit(OutgoingSms(1, "13800138000", "满" * 150))
    assert result.accepted and len(result.gateway_ids) == 3
    assert sim.stats.throttled >= 1 and sim.store.texts_to("13800138000") == ["满" * 150]


@run_async
async def test_what_cannot_be_sent_is_refused_unsent_and_not_retryable() -> None:
    async with IsmgSimulator(sim_config()) as sim, CmppClient(client_config(sim.port)) as client:
        bad_number = await client.submit(OutgoingSms(1, "138-0013", "hi"))
        empty = await client.submit(OutgoingSms(2, "13800138000", ""))
        ascii_text = await client.submit(OutgoingSms(3, "+8613800138000", "Your order 42 is done"))
    assert (bad_number.accepted, bad_number.error_code, bad_number.retryable) == (False, INVALID_TO, False)
    assert (empty.accepted, empty.error_code, empty.retryable) == (False, INVALID_TEXT, False)
    assert ascii_text.accepted
    [segment] = sim.segments
    assert segment.dest == "8613800138000" and segment.submit.msg_fmt == MsgFmt.ASCII


@run_async
async def test_cancel_and_query() -> None:
    async with (
        IsmgSimulator(sim_config(report_delay=30)) as sim,
        CmppClient(client_config(sim.port, service_id="MANYI")) as client,
    ):
        result = await client.submit(OutgoingSms(1, "13800138000", "稍后取消"))
        await client.submit(OutgoingSms(2, "13800138001", "保留"))
        assert await client.cancel(result.gateway_ids[0]) is True
        assert await client.cancel(result.gateway_ids[0]) is False  # nothing left to cancel
        counters = (await client.query(date(2026, 12, 3))).counters
        by_service = await client.query(date(2026, 12, 3), "OTHER")
    assert counters[:3] == (2, 2, 2)  # messages, users, sent
    assert by_service.query_type == 1 and by_service.counters[0] == 0
