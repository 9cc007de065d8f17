"""Through a real SMS gateway (Jasmin): its password check, its routing to the SMSC and back.

Receipts are not tested through Jasmin: jasmin 0.11.1 fails on every submit_sm_resp it relays for an
SMPP user ("'SubmitSM' object has no attribute 'response'" in managers/listeners.py), so it never
maps the SMSC's ids to its own and drops every receipt; test_deliveries.py tests receipts against
the SMSC directly.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from manyi.notify.smpp import SmppBindError, SmppClient, SmppConfig
from manyi.notify.sms import InboundSms, OutgoingSms, join_segments
from tests.notify.smpp.jasmin_gateway import PASSWORD, USERNAME, JasminGateway
from tests.notify.smpp.smsc import SmscProcess
from tests.notify.smpp.test_deliveries import until
from tests.notify.smpp.test_submit import LONG_CHINESE, run

# One Jasmin per run: its environment is installed on first use and it routes through the shared
# RabbitMQ and Redis, so under pytest-xdist all its tests go to one worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("jasmin")

Gateway = tuple[JasminGateway, SmscProcess]


def through(gateway: JasminGateway, password: str = PASSWORD) -> SmppConfig:
    return SmppConfig(
        host="127.0.0.1",
        port=gateway.smpp_port,
        system_id=USERNAME,
        password=password,
        source_addr="10655",
        response_timeout=10.0,
    )


def test_a_wrong_password_is_refused_with_a_readable_reason(jasmin: Gateway) -> None:
    gateway, _smsc = jasmin

    async def bind(password: str) -> bool:
        async with SmppClient(through(gateway, password)) as client:
            return client.bound

    with pytest.raises(SmppBindError) as refused:
        run(bind("wrong"))
    assert str(refused.value) == (
        f"the SMPP gateway 127.0.0.1:{gateway.smpp_port} refused the bind of manyi: "
        "ESME_RINVPASWD (0x0000000E): invalid password"
    )
    assert (refused.value.field, refused.value.command_status, refused.value.status) == (
        "password",
        0x0E,
        502,
    )
    assert run(bind(PASSWORD)) is True


def test_messages_go_through_the_gateway_to_the_smsc(jasmin: Gateway) -> None:
    gateway, smsc = jasmin
    before = smsc.command("stats", records=True)["records"]
    messages = [
        OutgoingSms(message_id=1, to="8613800138000", text="您的宽带已修复。", want_receipt=False),
        OutgoingSms(message_id=2, to="8613800138001", text=LONG_CHINESE, extension="02", want_receipt=False),
    ]

    async def scenario() -> list[Any]:
        async with SmppClient(through(gateway)) as client:
            results = await client.submit_many(messages)
            await until(lambda: smsc.command("stats")["submits"] == len(before) + 4)
            return results

    results = run(scenario())
    assert [(r.accepted, len(r.gateway_ids)) for r in results] == [(True, 1), (True, 3)]
    assert all(len(gateway_id) == 36 for r in results for gateway_id in r.gateway_ids)  # Jasmin's own ids
    records = smsc.command("stats", records=True)["records"][len(before) :]
    short, *segments = sorted(records, key=lambda r: r["to"])
    assert (short["source"], short["to"], short["data_coding"]) == ("10655", "8613800138000", 8)
    assert bytes.fromhex(short["payload"]).decode("utf-16-be") == "您的宽带已修复。"
    segments.sort(key=lambda r: bytes.fromhex(r["payload"])[5])
    assert {(r["source"], r["esm_class"]) for r in segments} == {("1065502", 0x40)}
    assert join_segments([bytes.fromhex(r["payload"]) for r in segments]) == LONG_CHINESE


def test_a_customers_reply_comes_through_the_gateway(jasmin: Gateway) -> None:
    gateway, smsc = jasmin
    inbound: list[InboundSms] = []

    async def scenario() -> dict[str, Any]:
        async with SmppClient(through(gateway), on_inbound=inbound.append) as client:
            await until(lambda: client.bound)
            answer = await asyncio.to_thread(
                smsc.command, "mo", sender="8613900139000", to="1065502", text="明天上午在家，谢谢。"
            )
            await until(lambda: inbound, timeout=20)
            return answer

    answer = run(scenario())
    assert answer["statuses"] == [0]
    assert [(m.sender, m.to, m.text) for m in inbound] == [
        ("8613900139000", "1065502", "明天上午在家，谢谢。")
    ]
