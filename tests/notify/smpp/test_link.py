"""The link: enquire_link both ways, a gateway that dies mid-window or goes silent, a gateway unbind."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import pytest

from manyi.notify.smpp import SmppClient
from manyi.notify.sms import SubmitResult
from tests.notify.smpp.conftest import start_smsc
from tests.notify.smpp.smsc import SmscProcess
from tests.notify.smpp.test_deliveries import until
from tests.notify.smpp.test_submit import run, settings, sms


def test_a_gateway_killed_mid_window_loses_nothing(smsc: SmscProcess) -> None:
    # The SMSC takes 5 submits and answers none; then it dies and a new one starts on the same port.
    smsc.command("set", hold=True, receipts=False)
    window = 5
    second: list[SmscProcess] = []

    async def scenario() -> tuple[list[SubmitResult], list[SubmitResult], Any, list[dict[str, Any]]]:
        async with SmppClient(settings(smsc, window=window)) as client:
            sending = asyncio.create_task(client.submit_many(sms(n) for n in range(50)))
            await until(lambda: smsc.command("stats")["held"] == window)
            first_records = smsc.command("stats", records=True)["records"]
            smsc.kill()
            second.append(await asyncio.to_thread(start_smsc, smsc.port))
            results = await sending
            retried = await client.submit_many(sms(r.message_id) for r in results if r.retryable)
            return results, retried, client.stats, first_records

    try:
        results, retried, stats, first_records = run(scenario())
        second_records = second[0].command("stats", records=True)["records"]
    finally:
        for server in second:
            server.stop()
    lost = [r for r in results if not r.accepted]
    assert len(lost) == window
    assert {(r.retryable, r.error_code) for r in lost} == {(True, "CONNECTION_LOST")}
    assert all(r.accepted for r in retried)
    assert (stats.link_losses, stats.binds) == (1, 2)

    def text(record: dict[str, Any]) -> str:
        return bytes.fromhex(record["payload"]).decode("utf-16-be")

    # Nothing lost: every message reached a gateway. The duplicates are exactly the unanswered window.
    first_texts = [text(r) for r in first_records]
    second_texts = [text(r) for r in second_records]
    assert set(first_texts) | set(second_texts) == {sms(n).text for n in range(50)}
    assert len(first_texts) + len(second_texts) - 50 == window
    assert set(first_texts) == {sms(r.message_id).text for r in lost}


def test_enquire_link_keeps_the_link_alive(smsc: SmscProcess) -> None:
    async def scenario() -> Any:
        async with SmppClient(settings(smsc, enquire_interval=0.1, response_timeout=1.0)) as client:
            await until(lambda: client.stats.enquire_links_answered >= 5)
            result = await client.submit(sms(1))
            return client.stats, result

    stats, result = run(scenario())
    assert result.accepted
    assert stats.enquire_links_sent - stats.enquire_links_answered <= 1
    assert (stats.link_losses, stats.binds) == (0, 1)


def test_a_silent_gateway_is_detected_and_bound_again(smsc: SmscProcess) -> None:
    # SIGSTOP: the TCP connection stays up but nothing answers, as with a hung gateway.
    assert smsc.process is not None

    async def scenario() -> tuple[Any, Any]:
        config = settings(smsc, enquire_interval=0.1, response_timeout=0.5, reconnect_initial=0.1)
        async with SmppClient(config) as client:
            await until(lambda: client.stats.enquire_links_answered >= 1)
            smsc.process.send_signal(signal.SIGSTOP)
            try:
                await until(lambda: client.stats.link_losses == 1)
                assert not client.bound
            finally:
                smsc.process.send_signal(signal.SIGCONT)
            await until(lambda: client.bound)
            return client.stats, await client.submit(sms(1))

    stats, result = run(scenario())
    assert result.accepted
    assert stats.binds >= 2
    assert stats.last_loss == "no enquire_link_resp within 0.5 s"


def test_a_gateway_unbind_is_answered_and_the_client_binds_again(smsc: SmscProcess) -> None:
    async def scenario() -> tuple[Any, Any]:
        async with SmppClient(settings(smsc)) as client:
            await asyncio.to_thread(smsc.command, "unbind_all")
            await until(lambda: client.stats.binds == 2 and client.bound)
            return client.stats, await client.submit(sms(1))

    stats, result = run(scenario())
    assert result.accepted
    assert stats.link_losses == 1
    assert smsc.command("stats")["binds"] == ["manyi", "manyi"]


@pytest.mark.slow
def test_the_gateways_enquire_link_is_answered(smsc: SmscProcess) -> None:
    # smpp34's server asks after 30 s without traffic; an unanswered one would end the session.
    async def scenario() -> Any:
        async with SmppClient(settings(smsc, enquire_interval=3600)) as client:
            await until(lambda: client.stats.enquire_links_received >= 1, timeout=45)
            await asyncio.sleep(1)
            assert client.bound
            return client.stats, await client.submit(sms(1))

    stats, result = run(scenario())
    assert result.accepted
    assert stats.link_losses == 0


def test_closing_at_once_still_reads_the_unbind_answer(smsc: SmscProcess) -> None:
    # Regression: a client closed before its link task first ran never read the gateway's answer
    # to the unbind and waited the whole response timeout.
    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        async with SmppClient(settings(smsc, response_timeout=5.0)):
            started = loop.time()
        return loop.time() - started

    assert run(scenario()) < 2.5
    deadline = time.monotonic() + 5  # the SMSC notes the session's end a moment later
    while smsc.command("stats")["unbound"] != 1:
        assert time.monotonic() < deadline, "the SMSC saw no unbind"
        time.sleep(0.02)
