"""The simulated gateway's own checks, driven with raw PDUs (so nothing in the client hides them),
and its command line."""

from __future__ import annotations

import asyncio
import re
import sys

from manyi.notify.cmpp.auth import authenticator_source
from manyi.notify.cmpp.client import CmppClient
from manyi.notify.cmpp.connection import Connection
from manyi.notify.cmpp.constants import Version
from manyi.notify.cmpp.pdu import Body, Connect, ConnectResp, Submit, SubmitResp, encode
from manyi.notify.cmpp.simulator import IsmgSimulator
from manyi.notify.sms import OutgoingSms, ucs2_segments
from tests.notify.cmpp.helpers import ACCESS_CODE, ACCOUNT, SECRET, client_config, run_async, sim_config


async def _login(port: int) -> tuple[Connection, asyncio.StreamWriter]:
    """A logged-in raw connection, and its writer for bytes no encoder would produce."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = Connection(reader, writer, Version.V30)
    conn.send(Connect(ACCOUNT, authenticator_source(ACCOUNT, SECRET, 1203163814), 0x30, 1203163814), 1)
    _, data = await conn.read()
    assert conn.decode(data).body == ConnectResp(0, conn.decode(data).body.authenticator_ismg, 0x30)  # type: ignore[attr-defined]
    return conn, writer


async def _answer(conn: Connection) -> Body:
    _, data = await conn.read()
    return conn.decode(data).body


def _submit(**fields: object) -> Submit:
    values: dict[str, object] = {
        "dest_terminal_ids": ("13800138000",),
        "msg_content": b"hi",
        "msg_fmt": 0,
        "src_id": ACCESS_CODE,
        "msg_src": ACCOUNT,
    }
    values.update(fields)
    return Submit(**values)  # type: ignore[arg-type]


@run_async
async def test_the_gateway_checks_source_ids_and_segment_numbers() -> None:
    first, second = ucs2_segments("满" * 100, 5)
    cases = [
        (_submit(msg_src="999999"), 11),  # Msg_src is not the logged-in SP
        (_submit(src_id="10690000"), 10),  # not our access code
        (_submit(dest_terminal_ids=("1380013800x",)), 13),
        (_submit(msg_content=first, msg_fmt=8, tp_udhi=1, pk_total=2, pk_number=2), 1),  # UDH says 1/2
        (_submit(msg_content=first, msg_fmt=8, tp_udhi=1, pk_total=2, pk_number=1), 0),
        (_submit(msg_content=second, msg_fmt=8, tp_udhi=1, pk_total=2, pk_number=2), 0),
    ]
    async with IsmgSimulator(sim_config()) as sim:
        conn, writer = await _login(sim.port)
        for sequence, (submit, expected) in enumerate(cases, start=10):
            conn.send(submit, sequence)
            answer = await _answer(conn)
            assert isinstance(answer, SubmitResp) and answer.result == expected, (submit, answer)
        # a SUBMIT cut short is a structure error, and the session goes on
        wire = bytearray(encode(_submit(), 99, Version.V30)[:60])
        wire[:4] = len(wire).to_bytes(4, "big")
        writer.write(bytes(wire))
        assert await _answer(conn) == SubmitResp(0, 1)
        await conn.close()
    assert sim.store.texts_to("13800138000") == ["满" * 100]
    assert sim.stats.refused == 5 and sim.stats.accepted == 2


@run_async
async def test_the_gateway_throttles_a_sender_beyond_its_window() -> None:
    async with IsmgSimulator(sim_config(window=2, submit_resp_delay=0.2)) as sim:
        conn, _ = await _login(sim.port)
        for sequence in (1, 2, 3):
            conn.send(_submit(), sequence)
        first = await _answer(conn)
        assert first == SubmitResp(0, 8)  # the third, refused at once; the others wait 0.2 s
        answers = [await _answer(conn), await _answer(conn)]
        await conn.close()
    assert all(isinstance(a, SubmitResp) and a.result == 0 for a in answers)
    assert sim.stats.over_window == 1 and sim.stats.peak_in_flight == 2


@run_async
async def test_a_login_with_a_stale_timestamp_digest_is_refused() -> None:
    async with IsmgSimulator(sim_config()) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        conn = Connection(reader, writer, Version.V30)
        digest = authenticator_source(ACCOUNT, SECRET, 1203163814)
        conn.send(Connect(ACCOUNT, digest, 0x30, 1203163815), 1)  # the digest of another second
        assert await _answer(conn) == ConnectResp(3, bytes(16), 0x30)
        await conn.close()


@run_async
async def test_the_command_line_starts_a_gateway_a_client_can_use() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "manyi.notify.cmpp.simulator",
        "--port",
        "0",
        "--account",
        f"{ACCOUNT}:{SECRET}",
        "--rate",
        "100",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"CMPP 3\.0 simulator on 127\.0\.0\.1:(\d+)", line)
        assert match, line
        async with CmppClient(client_config(int(match.group(1)))) as client:
            result = await client.submit(OutgoingSms(1, "13800138000", "命令行"))
        assert result.accepted
    finally:
        process.terminate()
        await process.wait()
