"""Customers' SMS from a real SMSC: stored before the gateway is answered, matched to what they
answer (extension, else number and time window), routed to opt-out or a keyword hook, and otherwise
made an inquiry order for an agent."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.notify import inbound
from manyi.notify.messages import queue_message
from manyi.notify.models import InboundSms, SmsOptOut
from manyi.notify.tasks import NotifyWork
from manyi.orders.models import WorkOrder
from tests.fixtures.operator import Operator
from tests.notify.smpp.smsc import SmscProcess

CST = timezone(timedelta(hours=8))


def _handled(engine: Engine, work: NotifyWork, n: int) -> list[InboundSms]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        work.run(limit=100)
        with Session(engine) as s:
            rows = list(s.scalars(select(InboundSms).order_by(InboundSms.id)))
            if len(rows) >= n and all(r.processed_at for r in rows):
                return rows
        time.sleep(0.05)
    raise AssertionError("replies not handled in time")


def test_replies_opt_out_match_by_extension_and_become_inquiries(
    engine: Engine, session: Session, operator: Operator, gateway_env: SmscProcess
) -> None:
    at = now() - timedelta(minutes=5)
    first = queue_message(
        session, channel="sms", event="order.accepted", address="13812345678", text="一", at=at, urgent=True
    )
    queue_message(
        session, channel="sms", event="order.resolved", address="13812345678", text="二", at=at, urgent=True
    )
    session.commit()
    work = NotifyWork.from_settings()
    try:
        work.run(limit=10)
        # to the first message's extension: it answers that one, not the latest
        gateway_env.command(
            "mo", sender="8613812345678", to=f"10655{first.extension}", text="宽带还是不通，请尽快处理"
        )
        gateway_env.command("mo", sender="8613812345678", to="10655", text=" 退订 ")
        gateway_env.command("mo", sender="8613900000000", to="10655", text="你们的营业厅几点开门？")
        question, stop, stranger = _handled(engine, work, 3)
    finally:
        work.close()
    assert (question.handler, question.reply_to_id) == ("inquiry", first.id)
    assert stop.handler == "opt_out"
    assert session.get(SmsOptOut, "8613812345678") is not None
    assert stranger.handler == "inquiry" and stranger.reply_to_id is None
    order = session.get(WorkOrder, question.order_id)
    assert order is not None and order.type == "inquiry" and order.channel == "sms"
    assert order.customer_id == operator.customer.id and "宽带还是不通" in order.description
    unknown = session.get(WorkOrder, stranger.order_id)
    assert unknown is not None and unknown.customer_id is None and unknown.region_pending


def test_keyword_hook_takes_registration_and_nothing_is_dropped_without_one(
    session: Session, operator: Operator
) -> None:
    taken: list[str] = []

    def register(_session: Session, reply: inbound.Reply) -> bool:
        taken.append(reply.inbound.text)
        return True

    at = datetime(2026, 11, 23, 10, tzinfo=CST)
    message = InboundSms(
        gateway="gw", sender="8613812345678", to="10655", text="KD 翠苑一区小区", received_at=at
    )
    session.add(message)
    session.flush()
    assert inbound.handle_inbound(session, message, at=at) == "inquiry"  # no hook yet: an agent sees it
    inbound.register_keyword("registration", inbound.REGISTRATION, register)
    try:
        again = InboundSms(
            gateway="gw", sender="8613812345678", to="10655", text="kd翠苑一区小区", received_at=at
        )
        session.add(again)
        session.flush()
        assert inbound.handle_inbound(session, again, at=at) == "registration"
        assert taken == ["kd翠苑一区小区"]
    finally:
        inbound.KEYWORD_HANDLERS[:] = [h for h in inbound.KEYWORD_HANDLERS if h[0] != "registration"]
    assert re.match(inbound.REGISTRATION, "KD小区") is None  # a name is needed


def test_a_reply_that_cannot_be_handled_is_kept_marked_and_does_not_block_the_others(
    session: Session, operator: Operator
) -> None:
    def broken(_session: Session, _reply: inbound.Reply) -> bool:
        raise RuntimeError("hook failed")

    at = datetime(2026, 11, 23, 10, tzinfo=CST)
    session.add_all(
        [
            InboundSms(gateway="gw", sender="8613812345678", to="10655", text="BROKEN", received_at=at),
            InboundSms(gateway="gw", sender="8613812345678", to="10655", text="TD", received_at=at),
        ]
    )
    session.flush()
    inbound.register_keyword("broken", re.compile("^BROKEN$"), broken)
    try:
        assert inbound.process_inbound(session, at=at) == 2
    finally:
        inbound.KEYWORD_HANDLERS[:] = [h for h in inbound.KEYWORD_HANDLERS if h[0] != "broken"]
    kept, stop = session.scalars(select(InboundSms).order_by(InboundSms.id)).all()
    assert (kept.handler, kept.text) == ("error", "BROKEN") and kept.processed_at == at
    assert stop.handler == "opt_out"
