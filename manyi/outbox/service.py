"""Deliver outbox messages: claim with row locks, send, mark sent; retry failures with backoff.

Delivery is at least once: a message is marked sent only after its channel accepted it, and each
attempt is committed as soon as it is made, so a crash (kill -9, power) repeats only the message in
flight, never the ones sent before it in the same pass. Webhook bodies carry an `eventId` fixed when
the message was written, so a subscriber drops a repeat (exactly once from its side). Messages
sharing an `ordering_key` go out in id order: one is not even attempted while an earlier one with
the same key is undelivered (due, or waiting out its backoff).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Integer, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from manyi.core.db import is_postgres
from manyi.core.logging import get_logger
from manyi.outbox.models import OutboxMessage

log = get_logger("manyi.outbox")
MAX_BACKOFF = timedelta(hours=1)
# Row locks (PostgreSQL) or the database write lock (SQLite) are held while webhooks are POSTed, so
# both a single call and a whole pass are bounded: one call at most ~connect + write + read seconds,
# and no new call starts after PASS_BUDGET. A pass thus ends within about PASS_BUDGET + 12 s, well
# inside SQLite's 30 s busy timeout that API writers wait on.
WEBHOOK_TIMEOUT = httpx.Timeout(connect=2.0, read=5.0, write=5.0, pool=2.0)
PASS_BUDGET_SECONDS = 5.0


class WebhookRefused(Exception):
    """The listener answered, but not with a 2xx."""


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


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    """One pooled client per process: keep-alive to listeners instead of a handshake per event."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                timeout=WEBHOOK_TIMEOUT, follow_redirects=False, headers={"User-Agent": "manyi-hub/1"}
            )
        return _client


def send_webhook(message: OutboxMessage) -> None:
    """POST the TMF event to its listener; a 2xx is delivered, anything else raises (retried later)."""
    payload = message.payload
    # Streamed and closed unread: the listener's answer is its status, and a huge body cannot stall us.
    with _http().stream("POST", payload["url"], json=payload["body"]) as response:
        if not 200 <= response.status_code < 300:
            raise WebhookRefused(f"listener answered HTTP {response.status_code}")


CHANNELS: dict[str, Callable[[OutboxMessage], None]] = {"log": send_log, "webhook": send_webhook}


@functools.cache
def _due_heads(postgres: bool) -> Select[OutboxMessage]:
    """Due messages (:at, :limit) that are first in line for their ordering key or have none.

    Built once per process: constructing the aliased subquery costs more than running it.
    """
    earlier = aliased(OutboxMessage)
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.available_at <= bindparam("at", type_=OutboxMessage.available_at.type),
            or_(
                OutboxMessage.ordering_key.is_(None),
                # available_at is NULL once a message is finished (sent, or cancelled): anything else
                # earlier in the key, due or backing off, still has to go first.
                ~exists().where(
                    earlier.ordering_key == OutboxMessage.ordering_key,
                    earlier.id < OutboxMessage.id,
                    earlier.available_at.is_not(None),
                ),
            ),
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(bindparam("limit", type_=Integer))
    )
    # Another worker's claimed head is skipped; its successors are excluded by the NOT EXISTS above
    # (the head is still undelivered in our snapshot), so two workers never overtake each other.
    return query.with_for_update(skip_locked=True) if postgres else query


_ASYNC_COMMIT = func.set_config("synchronous_commit", "off", True)  # SET LOCAL, as an expression


def _still_due(session: Session, message: OutboxMessage, at: datetime, postgres: bool) -> bool:
    """Claim the message again, if it is still due: after a commit released the round's locks,
    another worker may have taken it (locked: skipped) or finished it (no longer due)."""
    query = select(OutboxMessage.attempts).where(
        OutboxMessage.id == message.id, OutboxMessage.available_at <= at
    )
    if postgres:
        # The commit without waiting for the disk (see deliver_due), set in the same round trip.
        query = query.add_columns(_ASYNC_COMMIT).with_for_update(skip_locked=True)
    attempts = session.execute(query).scalars().first()
    if attempts is None:
        return False
    message.attempts = attempts  # another worker may have tried it meanwhile (the payload never changes)
    return True


def deliver_due(
    session: Session, *, at: datetime, limit: int = 500, budget_seconds: float = PASS_BUDGET_SECONDS
) -> int:
    """Attempt up to limit due messages in order per ordering key; return how many were sent.

    Commits the session after each attempt (a job, not a service: what it records must survive the
    next crash), so start it with nothing else pending. No new attempt starts after budget_seconds
    of wall time (measured, not the `at` clock: that is the domain time deciding what is due, which
    tests move at will).
    """
    deadline = time.monotonic() + budget_seconds
    postgres = is_postgres(session)
    attempted = sent = 0
    # Each round takes the current head of every key; sending a head makes its successor the head
    # of the next round, so a burst on one ticket goes out in one pass rather than one per pass.
    while attempted < limit and time.monotonic() < deadline:
        heads = list(session.scalars(_due_heads(postgres), {"at": at, "limit": limit - attempted}))
        if not heads:
            break
        for position, head in enumerate(heads):
            if time.monotonic() >= deadline:
                break  # untouched: due again for the next pass
            # The round's claim holds until the first commit; every later head is claimed again.
            if position > 0 and not _still_due(session, head, at, postgres):
                continue
            attempted += 1
            if _attempt(head, at):
                sent += 1
            if postgres and position == 0:
                # Committed without waiting for the disk flush (this transaction only; _still_due
                # sets it for the others): a worker crash loses nothing, the server has the commit;
                # a database crash may lose the last fraction of a second of marks, whose events
                # then go again with their eventId. Waiting would cost a disk flush per delivery.
                session.execute(select(_ASYNC_COMMIT))
            # One small commit per delivery: a crash repeats at most this message, not the pass.
            session.commit()
    return sent


def _attempt(message: OutboxMessage, at: datetime) -> bool:
    """Send one message and record the outcome on it (sent, or the error and the next try)."""
    message.attempts += 1
    sender = CHANNELS.get(message.channel)
    try:
        if sender is None:
            raise LookupError(f"no sender for channel {message.channel!r}")
        sender(message)
    except Exception as exc:  # a failed delivery is retried later, and said loudly now
        message.last_error = f"{type(exc).__name__}: {exc}"
        # Capped before timedelta sees it: 2**47 seconds overflows it, and a listener can well be
        # down for the 47 hourly attempts that takes.
        backoff = timedelta(seconds=2 ** min(message.attempts, 12))
        message.available_at = at + min(MAX_BACKOFF, backoff)
        log.warning(
            "outbox_delivery_failed",
            id=message.id,
            channel=message.channel,
            error=message.last_error,
            attempts=message.attempts,
        )
        return False
    message.sent_at, message.available_at, message.last_error = at, None, None
    return True
