"""Customers' SMS: matched to what they answer, handed to a keyword handler, else made an inquiry.

Matching: the extension the reply was sent to (service code + the message's extension) names the
message, among those sent to that number; without one, the latest SMS sent to the number within
`notify_reply_window_hours`. Handlers, in order: opt-out (TD, 退订, T), then the keyword hooks other
features register (`KEYWORD_HANDLERS`, e.g. field service's `KD*小区` coverage query), then the
reply hooks of the event answered (`REPLY_HANDLERS`, e.g. the satisfaction survey). Anything left
becomes an inquiry work order for an agent: a customer's message is never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.logging import get_logger
from manyi.core.settings import get_settings
from manyi.customers.models import Customer
from manyi.notify import rules
from manyi.notify.messages import record_opt_out
from manyi.notify.models import InboundSms, NotifyMessage

log = get_logger("manyi.notify.inbound")


@dataclass(frozen=True)
class Reply:
    """What a handler is given: the stored message, the SMS it answers (if matched), the customer."""

    inbound: InboundSms
    answers: NotifyMessage | None
    customer: Customer | None


# A handler returns True when it took the message (it may write, in the caller's transaction).
KeywordHandler = Callable[[Session, Reply], bool]
# (name, pattern on the whole trimmed text, handler): registered by the features that own them.
KEYWORD_HANDLERS: list[tuple[str, re.Pattern[str], KeywordHandler]] = []
# event of the SMS answered -> (name, handler): e.g. "survey.callback" -> the survey's score parser.
REPLY_HANDLERS: dict[str, tuple[str, KeywordHandler]] = {}
# The registration keyword field service will handle: KD followed by a residential estate's name.
REGISTRATION = re.compile(r"^KD\s*\S.*小区$", re.IGNORECASE)


def register_keyword(name: str, pattern: re.Pattern[str], handler: KeywordHandler) -> None:
    """Route replies whose text matches pattern to handler (idempotent per name)."""
    KEYWORD_HANDLERS[:] = [h for h in KEYWORD_HANDLERS if h[0] != name]
    KEYWORD_HANDLERS.append((name, pattern, handler))


def match_reply(session: Session, inbound: InboundSms, *, at: datetime) -> NotifyMessage | None:
    """The SMS this reply answers: by the extension it was sent to, else the latest within the window."""
    settings = get_settings()
    digits = settings.notify_extension_digits
    recent = select(NotifyMessage).where(
        NotifyMessage.channel == "sms",
        NotifyMessage.address == inbound.sender,
        NotifyMessage.created_at >= at - timedelta(hours=settings.notify_reply_window_hours),
        NotifyMessage.status.in_(("submitted", "delivered")),
    )
    if digits and len(inbound.to) > digits:
        extension = inbound.to[-digits:]
        found = session.scalars(
            recent.where(NotifyMessage.extension == extension).order_by(NotifyMessage.id.desc())
        ).first()
        if found is not None:
            return found
    return session.scalars(recent.order_by(NotifyMessage.id.desc())).first()


def _customer(session: Session, number: str) -> Customer | None:
    local = number[2:] if number.startswith("86") and len(number) == 13 else number
    return session.scalars(
        select(Customer)
        .where(Customer.phone.in_((local, number)), Customer.erased_at.is_(None))
        .order_by(Customer.id)
    ).first()


def handle_inbound(session: Session, inbound: InboundSms, *, at: datetime) -> str:
    """Match and route one reply; return the handler that took it."""
    answers = match_reply(session, inbound, at=at)
    customer = _customer(session, inbound.sender)
    reply = Reply(inbound, answers, customer)
    inbound.reply_to_id = answers.id if answers else None
    text = inbound.text.strip()
    if rules.is_opt_out(text):
        record_opt_out(session, address=inbound.sender, source=f"sms:{inbound.id}", at=at)
        return "opt_out"
    for name, pattern, handler in KEYWORD_HANDLERS:
        if pattern.match(text) and handler(session, reply):
            return name
    if answers is not None and answers.event in REPLY_HANDLERS:
        name, handler = REPLY_HANDLERS[answers.event]
        if handler(session, reply):
            return name
    inbound.order_id = _inquiry(session, reply, at=at)
    return "inquiry"


def _inquiry(session: Session, reply: Reply, *, at: datetime) -> int:
    """An inquiry work order for an agent, in the customer's region or the triage region."""
    from manyi.orders.service import create_order
    from manyi.org.default_region import triage_region

    customer = reply.customer
    region = customer.region_code if customer else triage_region(session)
    if region is None:
        raise LookupError("no region for an SMS inquiry: set MANYI_TRIAGE_REGION")
    answered = f"（回复短信：{reply.answers.text[:60]}）" if reply.answers else ""
    order = create_order(
        session,
        type="inquiry",
        channel="sms",
        title=f"短信咨询 {reply.inbound.sender[-4:]}",
        description=f"客户短信 / customer SMS from {reply.inbound.sender}: {reply.inbound.text}{answered}",
        region_code=region,
        region_pending=customer is None,
        customer_id=customer.id if customer else None,
        idempotency_key=f"sms-inbound:{reply.inbound.id}",
        at=at,
    )
    return order.id


def process_inbound(session: Session, *, at: datetime, limit: int = 500) -> int:
    """Handle every stored reply not yet handled; return how many were."""
    pending = session.scalars(
        select(InboundSms).where(InboundSms.processed_at.is_(None)).order_by(InboundSms.id).limit(limit)
    ).all()
    for inbound in pending:
        # One reply that cannot be handled (no region for its inquiry, a hook that fails) must not
        # hold up the others: its work is rolled back to a savepoint and it is kept, marked.
        try:
            with session.begin_nested():
                handler = handle_inbound(session, inbound, at=at)
        except Exception as exc:
            log.error("sms_inbound_failed", id=inbound.id, error=repr(exc))
            handler = "error"
        inbound.handler, inbound.processed_at = handler, at
        log.info("sms_inbound_handled", id=inbound.id, handler=handler)
    session.flush()
    return len(pending)
