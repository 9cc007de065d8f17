"""Logging in: refusals come back as CmppAuthError with the gateway's Status in words, a gateway
that cannot prove it knows the secret is refused, both versions log in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from manyi.notify.cmpp.client import CmppClient
from manyi.notify.cmpp.connection import Connection
from manyi.notify.cmpp.constants import Version
from manyi.notify.cmpp.errors import CmppAuthError, CmppLinkError
from manyi.notify.cmpp.pdu import ConnectResp
from manyi.notify.cmpp.simulator import IsmgSimulator
from manyi.notify.sms import OutgoingSms
from tests.notify.cmpp.helpers import client_config, run_async, sim_config


@run_async
async def test_a_wrong_secret_is_refused_with_status_3_in_words() -> None:
    async with IsmgSimulator(sim_config()) as sim:
        with pytest.raises(CmppAuthError) as caught:
            await CmppClient(client_config(sim.port, shared_secret="wrong")).start()
    assert caught.value.connect_status == 3
    assert "Status 3, authentication failed" in caught.value.message and "认证错" in caught.value.message
    assert caught.value.field == "shared_secret"
    assert sim.stats.refused_logins == 1 and sim.stats.logins == 0


@run_async
async def test_an_unknown_sp_id_is_refused_as_an_illegal_source_address() -> None:
    async with IsmgSimulator(sim_config()) as sim:
        with pytest.raises(CmppAuthError, match="Status 2, illegal source address") as caught:
            await CmppClient(client_config(sim.port, source_addr="999999")).start()
    assert caught.value.connect_status == 2


@run_async
async def test_a_2_0_gateway_refuses_a_3_0_login_as_version_too_high() -> None:
    async with IsmgSimulator(sim_config(max_version=Version.V20)) as sim:
        with pytest.raises(CmppAuthError, match=r"Status 4, protocol version too high .*版本太高"):
            await CmppClient(client_config(sim.port, version=Version.V30)).start()


@run_async
async def test_a_2_0_client_logs_in_to_a_3_0_gateway_and_sends() -> None:
    async with IsmgSimulator(sim_config()) as sim:
        async with CmppClient(client_config(sim.port, version=Version.V20)) as client:
            result = await client.submit(OutgoingSms(1, "13800138000", "满意" * 50))
        assert result.accepted and len(result.gateway_ids) == 2
        assert sim.store.texts_to("13800138000") == ["满意" * 50]
        assert sim.sessions == [] or all(s.conn.version == Version.V20 for s in sim.sessions)


@contextlib.asynccontextmanager
async def impostor_gateway() -> AsyncIterator[int]:
    """A peer that accepts any login without knowing the secret (its AuthenticatorISMG is zeros)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer, Version.V30)
        with contextlib.suppress(CmppLinkError):
            header, _ = await conn.read()
            conn.send(ConnectResp(0, bytes(16), 0x30), header.sequence_id)
            await conn.read()  # the client's TERMINATE: hang up
        await conn.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@run_async
async def test_a_gateway_that_cannot_prove_the_secret_is_refused() -> None:
    async with impostor_gateway() as port:
        with pytest.raises(CmppAuthError, match="AuthenticatorISMG does not match"):
            await CmppClient(client_config(port)).start()
        # an operator may switch the check off for a gateway known to fill it wrongly
        client = CmppClient(client_config(port, verify_gateway=False))
        await client.start()
        assert client.connected
        await client.close()


@run_async
async def test_an_unreachable_gateway_is_a_link_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(CmppLinkError, match=f"cannot reach the gateway at 127.0.0.1:{port}"):
        await CmppClient(client_config(port, connect_timeout=5)).start()


@run_async
async def test_submit_before_start_is_a_clear_error() -> None:
    client = CmppClient(client_config(7890))
    with pytest.raises(CmppLinkError, match="not started"):
        await client.submit(OutgoingSms(1, "13800138000", "hi"))
