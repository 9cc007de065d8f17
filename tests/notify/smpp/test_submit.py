"""Submitting to a real SMSC: window, rate, UCS-2 segments, throttling and refusals."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from manyi.notify.smpp import SmppClient, SmppConfig
from manyi.notify.sms import OutgoingSms, join_segments
from tests.async_run import run_fresh
from tests.notify.smpp.smsc import SmscProcess

LONG_CHINESE = (
    "尊敬的客户：您报修的宽带故障（工单号WO20261203001）已由网格维护员受理，预计今天下午三点前上门处理。"
    "如需改约，请直接回复本短信或拨打客服热线。感谢您对我们工作的支持，祝您生活愉快！"
    "（本短信由系统自动发送，回复TD退订。）如上门时家中无人，请提前告知维护员，谢谢。"
)


def run(scenario: Coroutine[Any, Any, Any]) -> Any:
    return run_fresh(scenario, 60)


def settings(smsc: SmscProcess, **overrides: Any) -> SmppConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "manyi",
        "password": "secret",
        "system_type": "CRM",
        "source_addr": "10655",
        "window": 10,
        "rate": 0,
        "response_timeout": 2.0,
        "reconnect_initial": 0.05,
        "link_wait": 10.0,
    }
    return SmppConfig(**{**values, **overrides})


def sms(n: int, text: str | None = None, to: str = "8613800138000") -> OutgoingSms:
    return OutgoingSms(
        message_id=n, to=to, text=f"您的工单{n}已受理，维护员将尽快联系您。" if text is None else text
    )


def test_window_and_rate_are_kept_over_200_messages(smsc: SmscProcess) -> None:
    # The SMSC answers each submit 20 ms late, so the window fills; the rate then sets the pace.
    smsc.command("set", delay=0.02, receipts=False)
    window, rate, burst = 8, 400.0, 10

    async def scenario() -> tuple[list[Any], Any]:
        async with SmppClient(settings(smsc, window=window, rate=rate, burst=burst)) as client:
            results = await client.submit_many(sms(n) for n in range(200))
            return results, client.stats

    results, stats = run(scenario())
    assert [r.message_id for r in results] == list(range(200))
    assert all(r.accepted and len(r.gateway_ids) == 1 for r in results)
    seen = smsc.command("stats", records=True)
    assert seen["submits"] == 200
    # The window, from both ends: never more than 8 unanswered, and actually used.
    assert seen["max_outstanding"] <= window
    assert stats.max_in_flight == window
    moments = sorted(record["at"] for record in seen["records"])
    assert moments[-1] - moments[0] >= (200 - burst) / rate * 0.9
    # Over any quarter second the SMSC saw no more than the rate allows (plus the burst).
    start = 0
    for end, moment in enumerate(moments):
        while moment - moments[start] > 0.25:
            start += 1
        assert end - start + 1 <= rate * 0.25 + burst + 2
    # Each message went out as UCS-2, to the number, from the service code, asking for a receipt.
    first = seen["records"][0]
    assert (first["data_coding"], first["esm_class"], first["registered_delivery"]) == (8, 0, 1)
    assert (first["source"], first["to"]) == ("10655", "8613800138000")
    texts = sorted(bytes.fromhex(record["payload"]).decode("utf-16-be") for record in seen["records"])
    assert texts == sorted(sms(n).text for n in range(200))


def test_long_chinese_message_goes_in_three_segments(smsc: SmscProcess) -> None:
    assert 2 * 67 < len(LONG_CHINESE) <= 3 * 67
    message = OutgoingSms(message_id=42, to="8613800138000", text=LONG_CHINESE, extension="0042")

    async def scenario() -> Any:
        async with SmppClient(settings(smsc)) as client:
            return await client.submit(message)

    result = run(scenario())
    records = smsc.command("stats", records=True)["records"]
    assert result.accepted
    assert result.gateway_ids == tuple(r["id"] for r in records)
    assert len(records) == 3
    assert {(r["esm_class"], r["data_coding"], r["source"]) for r in records} == {(0x40, 8, "106550042")}
    payloads = [bytes.fromhex(r["payload"]) for r in records]
    headers = [p[:6] for p in payloads]
    assert [h[5] for h in headers] == [1, 2, 3]  # sequence within the message
    assert {(h[:3], h[3], h[4]) for h in headers} == {(b"\x05\x00\x03", headers[0][3], 3)}
    assert join_segments(payloads) == LONG_CHINESE


def test_throttled_submits_back_off_and_are_sent_again(smsc: SmscProcess) -> None:
    smsc.command("set", throttle_next=3)

    async def scenario() -> tuple[Any, Any]:
        async with SmppClient(settings(smsc, throttle_backoff=0.05)) as client:
            return await client.submit(sms(1)), client.stats

    result, stats = run(scenario())
    assert result.accepted
    assert stats.throttled == 3
    assert smsc.command("stats")["submits"] == 4


def test_a_gateway_that_keeps_throttling_gets_the_message_back_as_retryable(smsc: SmscProcess) -> None:
    smsc.command("set", throttle_next=100)

    async def scenario() -> Any:
        async with SmppClient(settings(smsc, throttle_backoff=0.02, throttle_retries=2)) as client:
            return await client.submit(sms(1))

    result = run(scenario())
    assert (result.accepted, result.retryable, result.error_code) == (False, True, "ESME_RTHROTTLED")
    assert smsc.command("stats")["submits"] == 3


def test_a_refused_destination_is_final_and_the_others_still_go(smsc: SmscProcess) -> None:
    async def scenario() -> list[Any]:
        async with SmppClient(settings(smsc)) as client:
            return await client.submit_many([sms(1), sms(2, to="000123456"), sms(3)])

    results = run(scenario())
    assert [r.accepted for r in results] == [True, False, True]
    assert (results[1].error_code, results[1].retryable) == ("ESME_RINVDSTADR", False)


def test_a_message_the_gateway_would_refuse_is_not_sent(smsc: SmscProcess) -> None:
    async def scenario() -> list[Any]:
        async with SmppClient(settings(smsc)) as client:
            return await client.submit_many(
                [sms(1, to="138-0013"), sms(2, text="字" * (67 * 256)), sms(3, text="")]
            )

    results = run(scenario())
    assert [r.error_code for r in results] == [
        "to: expected 5..20 digits",
        "text: 256 segments, at most 255 can be joined",
        "text: empty",
    ]
    assert not any(r.accepted or r.retryable for r in results)
    assert smsc.command("stats")["submits"] == 0
