"""The link's life: a drop in the middle of a full window loses nothing (every message accepted or
reported retryable, duplicates only among those whose answer was lost), ACTIVE_TEST both ways, a
hung gateway detected, a gateway's TERMINATE followed by a new login."""

from __future__ import annotations

from collections import Counter

from manyi.notify.cmpp.client import LINK_LOST, NOT_CONNECTED, CmppClient
from manyi.notify.cmpp.simulator import IsmgSimulator
from manyi.notify.sms import OutgoingSms
from tests.notify.cmpp.helpers import ACCOUNT, SECRET, client_config, run_async, sim_config


def _numbers(count: int) -> list[str]:
    return [f"1370013{n:04d}" for n in range(count)]


@run_async
async def test_a_link_dropped_mid_window_loses_nothing_and_duplicates_only_the_unanswered() -> None:
    window = 8
    numbers = _numbers(100)
    messages = [OutgoingSms(i, to, f"您的工单{i}已受理") for i, to in enumerate(numbers)]
    async with IsmgSimulator(sim_config(window=window, submit_resp_delay=0.02)) as sim:
        sim.drop_after(40)  # the 40th SUBMIT is taken and never answered, nor those in flight with it
        async with CmppClient(client_config(sim.port, window=window)) as client:
            results = await client.submit_many(messages)
            unsent = [
                message for message, result in zip(messages, results, strict=True) if not result.accepted
            ]
            resent = await client.submit_many(unsent)
    lost = [r for r in results if not r.accepted]
    assert all(r.retryable and r.error_code == LINK_LOST for r in lost)
    assert 1 <= len(lost) <= window
    assert all(r.accepted for r in resent)
    assert sim.stats.drops == 1 and sim.stats.logins == 2 and client.stats.reconnects == 1
    delivered = Counter(message.dest for message in sim.messages)
    assert set(delivered) == set(numbers)  # none lost
    duplicates = sum(count - 1 for count in delivered.values())
    # the gateway had the 40th (and perhaps others in flight) when the link died: sent twice
    assert 1 <= duplicates <= len(lost)
    assert {dest for dest, count in delivered.items() if count > 1} <= {m.to for m in unsent}


@run_async
async def test_an_idle_client_sends_active_test_and_the_gateway_answers() -> None:
    config_kw = {"active_test_interval": 0.05}
    async with IsmgSimulator(sim_config()) as sim, CmppClient(client_config(sim.port, **config_kw)) as client:
        await sim.wait_until(lambda: sim.stats.active_tests_received >= 2)
        round_trip = await client.active_test()
    assert round_trip >= 0
    assert client.stats.active_tests_answered >= 2
    assert client.stats.active_tests_answered <= client.stats.active_tests_sent


@run_async
async def test_the_gateways_active_test_is_answered() -> None:
    async with (
        IsmgSimulator(sim_config(active_test_interval=0.05)) as sim,
        CmppClient(client_config(sim.port)) as client,
    ):
        await sim.wait_until(lambda: sim.stats.active_tests_answered >= 2)
    assert client.stats.gateway_active_tests >= 2
    assert client.stats.active_tests_sent == 0  # the gateway's tests keep the link busy enough


@run_async
async def test_a_hung_gateway_is_detected_by_active_test_and_the_link_reopened() -> None:
    config = {
        "active_test_interval": 0.05,
        "response_timeout": 0.2,
        "active_test_retries": 2,
        "connect_timeout": 1,
    }
    async with IsmgSimulator(sim_config()) as sim, CmppClient(client_config(sim.port, **config)) as client:
        sim.muted = True  # the TCP link stays up, nothing is answered
        await sim.wait_until(lambda: not sim.sessions)  # the client gave up on it
        sim.muted = False
        await sim.wait_until(lambda: sim.stats.logins == 2)
        assert await client.wait_connected(5)
        result = await client.submit(OutgoingSms(1, "13800138000", "恢复了"))
    assert result.accepted and client.stats.reconnects == 1
    assert client.stats.active_tests_sent >= 2


@run_async
async def test_after_the_gateways_terminate_the_client_logs_in_again() -> None:
    async with IsmgSimulator(sim_config()) as sim, CmppClient(client_config(sim.port)) as client:
        sim.terminate_sessions()
        await sim.wait_until(lambda: sim.stats.logins == 2)
        assert await client.wait_connected(5)
        result = await client.submit(OutgoingSms(1, "13800138000", "hi"))
    assert result.accepted and client.stats.reconnects == 1 and sim.stats.drops == 0


@run_async
async def test_close_logs_out_with_terminate() -> None:
    async with IsmgSimulator(sim_config()) as sim:
        async with CmppClient(client_config(sim.port)) as client:
            assert client.connected and len(sim.sessions) == 1
        assert not client.connected
        await sim.wait_until(lambda: not sim.sessions)
        assert sim.stats.drops == 0


@run_async
async def test_while_the_gateway_refuses_a_new_login_messages_come_back_unsent() -> None:
    async with (
        IsmgSimulator(sim_config()) as sim,
        CmppClient(client_config(sim.port, response_timeout=0.3)) as client,
    ):
        sim.config.accounts[ACCOUNT] = "rotated"  # the operator changed the secret
        sim.drop_connections()
        await sim.wait_until(lambda: sim.stats.refused_logins >= 1)
        assert not client.connected
        waiting = await client.submit(OutgoingSms(1, "13800138000", "稍后重试"))
        assert (waiting.accepted, waiting.error_code, waiting.retryable) == (False, NOT_CONNECTED, True)
        assert client.last_error is not None and "Status 3" in client.last_error
        sim.config.accounts[ACCOUNT] = SECRET  # put back: the next attempt logs in
        await sim.wait_until(lambda: sim.stats.logins == 2)
        assert await client.wait_connected(5)
        sent = await client.submit(OutgoingSms(1, "13800138000", "稍后重试"))
    assert sent.accepted and sim.store.texts_to("13800138000") == ["稍后重试"]
