"""Deliver outbox messages: claim with row locks, send, mark sent; retry failures with backoff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.db import is_postgres
from manyi.core.logging import get_logger
from manyi.outbox.models import OutboxMessage

log = get_logger("manyi.outbox")
MAX_BACKOFF = timedelta(hours=1)


def send_log(message: OutboxMessage) -> None:
    """The development channel: one structured log line per message."""
    log.info(
        "outbox_delivered",
        topic=message.topic,
        order_id=message.order_id,
        recipient_user_id=message.recipient_user_id,
        dedupe_key=message.dedupe_key,
        payload=message.payload,
    )


CHANNELS: dict[str, Callable[[OutboxMessage], None]] = {"log": send_log}


def deliver_due(session: Session, *, at: datetime, limit: int = 500) -> int:
    """Send up to limit messages that are due; return how many were sent."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.available_at <= at)
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for message in session.scalars(query):
        message.attempts += 1
        sender = CHANNELS.get(message.channel)
        try:
            if sender is None:
                raise LookupError(f"no sender for channel {message.channel!r}")
            sender(message)
        except Exception as exc:  # a failed delivery is retried later, and said loudly now
            message.last_error = f"{type(exc).__name__}: {exc}"
            message.available_at = at + min(MAX_BACKOFF, timedelta(seconds=2**message.attempts))
            log.warning(
                "outbox_delivery_failed", id=message.id, error=message.last_error, attempts=message.attempts
            )
            continue
        message.sent_at, message.available_at, message.last_error = at, None, None
        sent += 1
    session.flush()
    return sent
