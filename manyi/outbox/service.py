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
from typing import Any, Protocol, cast

import httpx
from sqlalchemy import Integer, Select, Table, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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


class Outgoing(Protocol):
    """What a channel reads of a message (a row of the outbox, not an ORM object: see deliver_due)."""

    id: int
    topic: str
    channel: str
    order_id: int | None
    recipient_user_id: int | None
    dedupe_key: str
    payload: dict[str, Any]


def send_log(message: Outgoing) -> None:
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
# The listener's answer is its status; its body is read only this far, so a huge one cannot stall
# the pass (beyond it the connection is closed rather than kept for the next event).
_ANSWER_READ_BYTES = 64 * 1024


def _http() -> httpx.Client:
    """One pooled client per process: keep-alive to listeners instead of a handshake per event."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                timeout=WEBHOOK_TIMEOUT, follow_redirects=False, headers={"User-Agent": "manyi-hub/1"}
            )
        return _client


def send_webhook(message: Outgoing) -> None:
    """POST the TMF event to its listener; a 2xx is delivered, anything else raises (retried later)."""
    payload = message.payload
    with _http().stream("POST", payload["url"], json=payload["body"]) as response:
        # Read a small answer to its end so the connection goes back to the pool for the next event.
        read = 0
        for chunk in response.iter_raw():
            read += len(chunk)
            if read > _ANSWER_READ_BYTES:
                break
        if not 200 <= response.status_code < 300:
            raise WebhookRefused(f"listener answered HTTP {response.status_code}")


CHANNELS: dict[str, Callable[[Outgoing], None]] = {"log": send_log, "webhook": send_webhook}

_OUTBOX = cast(Table, OutboxMessage.__table__)
# What a channel reads, and the attempts so far (counted on).
_COLUMNS = (
    _OUTBOX.c.id,
    _OUTBOX.c.topic,
    _OUTBOX.c.channel,
    _OUTBOX.c.order_id,
    _OUTBOX.c.recipient_user_id,
    _OUTBOX.c.dedupe_key,
    _OUTBOX.c.payload,
    _OUTBOX.c.attempts,
)
# Commit without waiting for the disk flush: SET LOCAL, as an expression, so it rides along with a
# query the transaction sends anyway (PostgreSQL only; see deliver_due).
_ASYNC_COMMIT = func.set_config("synchronous_commit", "off", True)


@functools.cache
def _due_heads(postgres: bool) -> Select[Any]:
    """Due messages (:at, :limit) that are first in line for their ordering key or have none.

    Built once per process: constructing the aliased subquery costs more than running it.
    """
    earlier = _OUTBOX.alias("earlier")
    query = (
        select(*_COLUMNS)
        .where(
            _OUTBOX.c.available_at <= bindparam("at", type_=_OUTBOX.c.available_at.type),
            or_(
                _OUTBOX.c.ordering_key.is_(None),
                # available_at is NULL once a message is finished (sent, or cancelled): anything else
                # earlier in the key, due or backing off, still has to go first.
                ~exists().where(
                    earlier.c.ordering_key == _OUTBOX.c.ordering_key,
                    earlier.c.id < _OUTBOX.c.id,
                    earlier.c.available_at.is_not(None),
                ),
            ),
        )
        .order_by(_OUTBOX.c.available_at, _OUTBOX.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if not postgres:
        return query
    # Another worker's claimed head is skipped; its successors are excluded by the NOT EXISTS above
    # (the head is still undelivered in our snapshot), so two workers never overtake each other.
    return query.add_columns(_ASYNC_COMMIT).with_for_update(skip_locked=True, of=_OUTBOX)


@functools.cache
def _claim_again(postgres: bool) -> Select[Any]:
    """The attempts of message :id if it is still due at :at (locked, skipping a locked one)."""
    query = select(_OUTBOX.c.attempts).where(
        _OUTBOX.c.id == bindparam("id"),
        _OUTBOX.c.available_at <= bindparam("at", type_=_OUTBOX.c.available_at.type),
    )
    if not postgres:
        return query
    return query.add_columns(_ASYNC_COMMIT).with_for_update(skip_locked=True)


_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(attempts=bindparam("b_attempts"), sent_at=bindparam("b_at"), available_at=None, last_error=None)
)
_FAILED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(
        attempts=bindparam("b_attempts"),
        available_at=bindparam("b_next"),
        last_error=bindparam("b_error"),
    )
)


def deliver_due(
    session: Session, *, at: datetime, limit: int = 500, budget_seconds: float = PASS_BUDGET_SECONDS
) -> int:
    """Attempt up to limit due messages in order per ordering key; return how many were sent.

    Commits the session after each attempt (a job, not a service: what it records must survive the
    next crash), so start it with nothing else pending. No new attempt starts after budget_seconds
    of wall time (measured, not the `at` clock: that is the domain time deciding what is due, which
    tests move at will).

    Messages are read and marked with Core statements, not ORM objects: each delivery is its own
    small transaction, and loading, tracking and flushing an object for it cost several times the
    database's own work (bench/bench_sla_sweep.py measures the pass against that floor). On
    PostgreSQL each of these transactions commits without waiting for the disk flush (set in the
    same round trip as its claim): a worker crash loses nothing, the server has the commit; a
    database crash may lose the last fraction of a second of marks, whose messages then go again
    (webhooks with their eventId). Waiting would cost a disk flush per delivery.
    """
    deadline = time.monotonic() + budget_seconds
    postgres = is_postgres(session)
    attempted = sent = 0
    # Each round takes the current head of every key; sending a head makes its successor the head
    # of the next round, so a burst on one ticket goes out in one pass rather than one per pass.
    while attempted < limit and time.monotonic() < deadline:
        # Statements go to the session's connection directly: the ORM's execution layer is not
        # needed for plain rows, and it cost as much as the database's work per delivery.
        heads = (
            session.connection().execute(_due_heads(postgres), {"at": at, "limit": limit - attempted}).all()
        )
        if not heads:
            break
        for position, head in enumerate(heads):
            if time.monotonic() >= deadline:
                break  # untouched: due again for the next pass
            attempts = head.attempts
            if position > 0:
                # The round's claim held until the first commit; every later head is claimed again:
                # another worker may have taken it (locked: skipped) or finished it (no longer due).
                claim = session.connection().execute(_claim_again(postgres), {"id": head.id, "at": at})
                attempts = claim.scalar()
                if attempts is None:
                    continue
            attempted += 1
            if _attempt(session, head, attempts + 1, at):
                sent += 1
            # One small commit per delivery: a crash repeats at most this message, not the pass.
            session.commit()
    return sent


def _attempt(session: Session, message: Outgoing, attempts: int, at: datetime) -> bool:
    """Send one message and record the outcome on it (sent, or the error and the next try)."""
    sender = CHANNELS.get(message.channel)
    try:
        if sender is None:
            raise LookupError(f"no sender for channel {message.channel!r}")
        sender(message)
    except Exception as exc:  # a failed delivery is retried later, and said loudly now
        error = f"{type(exc).__name__}: {exc}"
        # Capped before timedelta sees it: 2**47 seconds overflows it, and a listener can well be
        # down for the 47 hourly attempts that takes.
        backoff = timedelta(seconds=2 ** min(attempts, 12))
        available_at = at + min(MAX_BACKOFF, backoff)
        session.connection().execute(
            _FAILED, {"b_id": message.id, "b_attempts": attempts, "b_next": available_at, "b_error": error}
        )
        _refresh_loaded(session, message.id, attempts=attempts, available_at=available_at, last_error=error)
        log.warning(
            "outbox_delivery_failed", id=message.id, channel=message.channel, error=error, attempts=attempts
        )
        return False
    session.connection().execute(_SENT, {"b_id": message.id, "b_attempts": attempts, "b_at": at})
    _refresh_loaded(session, message.id, attempts=attempts, sent_at=at, available_at=None, last_error=None)
    return True


def _refresh_loaded(session: Session, message_id: int, **values: Any) -> None:
    """A message the session already holds as an object gets the values written, as if the ORM had
    written them (nothing is reloaded: a reload would open a transaction of its own)."""
    loaded = session.identity_map.get(identity_key(OutboxMessage, message_id))
    if loaded is not None:
        for column, value in values.items():
            set_committed_value(loaded, column, value)
