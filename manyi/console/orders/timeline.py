"""One order's story for its page: history events (notes are events that carry their text) and the
notifications sent about it (SLA warnings, breaches, escalations), merged newest first, bounded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.orders.models import OrderEvent
from manyi.outbox.models import OutboxMessage

# An order rarely has more than a few dozen events; a runaway one (a loop in an integration) must
# not make its page unusable, so the page shows the newest and says how many are left out.
MAX_EVENTS = 500
MAX_NOTIFICATIONS = 100


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 3x, and there are hundreds
class Entry:
    """One line of the timeline. kind: event | note | notification."""

    kind: str
    at: datetime
    action: str  # the event's action, or the message's topic
    actor_id: int | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    recipient_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    sent: bool = False
    sort_key: tuple[Any, ...] = ()


@dataclass
class Timeline:
    entries: list[Entry]
    truncated: bool


def order_timeline(
    session: Session,
    *,
    order_id: int,
    max_events: int = MAX_EVENTS,
    max_notifications: int = MAX_NOTIFICATIONS,
) -> Timeline:
    """Return the order's events and notifications, newest first (two indexed queries)."""
    events = list(
        session.execute(
            select(
                OrderEvent.id,
                OrderEvent.at,
                OrderEvent.actor_id,
                OrderEvent.action,
                OrderEvent.changes,
                OrderEvent.note,
            )
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id.desc())
            .limit(max_events + 1)
        )
    )
    messages = list(
        session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.created_at,
                OutboxMessage.topic,
                OutboxMessage.recipient_user_id,
                OutboxMessage.payload,
                OutboxMessage.sent_at,
            )
            .where(OutboxMessage.order_id == order_id)
            .order_by(OutboxMessage.id.desc())
            .limit(max_notifications + 1)
        )
    )
    truncated = len(events) > max_events or len(messages) > max_notifications
    entries = [
        Entry(
            kind="note" if e.action == "note" else "event",
            at=e.at,
            action=e.action,
            actor_id=e.actor_id,
            changes=list(e.changes or []),
            note=e.note,
            sort_key=(e.at, 1, e.id),
        )
        for e in events[:max_events]
    ]
    entries += [
        Entry(
            kind="notification",
            at=m.created_at,
            action=m.topic,
            recipient_id=m.recipient_user_id,
            payload=dict(m.payload or {}),
            sent=m.sent_at is not None,
            # A notification sorts just after (above) the event that caused it at the same instant.
            sort_key=(m.created_at, 2, m.id),
        )
        for m in messages[:max_notifications]
    ]
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return Timeline(entries, truncated)
