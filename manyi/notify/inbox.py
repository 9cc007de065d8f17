"""Every staff member's in-app inbox: the SLA warnings, breaches and escalations addressed to them
(the sweep's outbox rows) and their new assignments (inbox messages), newest first, read or unread.

Items have ids that say their source: `o<outbox id>` or `m<message id>`. A user reads, counts and
marks only their own items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.core.settings import get_settings
from manyi.notify.models import InboxRead, NotifyMessage
from manyi.notify.templates import CLOCK_NAMES, TIME_FORMATS, built_in, render
from manyi.orders.models import WorkOrder
from manyi.outbox.models import OutboxMessage

SLA_TOPICS = ("sla.warning", "sla.breach", "sla.escalation")
MAX_IDS = 500


@dataclass(frozen=True)
class InboxItem:
    id: str
    at: datetime
    event: str
    text: str
    read: bool
    order_id: int | None
    order_number: str | None


def _unread_outbox(user_id: int) -> Any:
    return ~exists().where(InboxRead.user_id == user_id, InboxRead.outbox_message_id == OutboxMessage.id)


def unread_count(session: Session, *, user_id: int) -> int:
    """The number on the bell."""
    sla = session.scalar(
        select(func.count()).where(
            OutboxMessage.recipient_user_id == user_id,
            OutboxMessage.topic.in_(SLA_TOPICS),
            _unread_outbox(user_id),
        )
    )
    own = session.scalar(
        select(func.count()).where(
            NotifyMessage.user_id == user_id,
            NotifyMessage.channel == "inbox",
            NotifyMessage.read_at.is_(None),
        )
    )
    return int(sla or 0) + int(own or 0)


def total_count(session: Session, *, user_id: int, unread_only: bool = False) -> int:
    if unread_only:
        return unread_count(session, user_id=user_id)
    sla = session.scalar(
        select(func.count()).where(
            OutboxMessage.recipient_user_id == user_id, OutboxMessage.topic.in_(SLA_TOPICS)
        )
    )
    own = session.scalar(
        select(func.count()).where(NotifyMessage.user_id == user_id, NotifyMessage.channel == "inbox")
    )
    return int(sla or 0) + int(own or 0)


def _sla_text(topic: str, payload: dict[str, Any], locale: str) -> str:
    """The SLA message in the reader's language: clock names translated, the deadline in local time."""
    due = payload.get("due_at")
    shown = ""
    if isinstance(due, str):
        try:
            instant = datetime.fromisoformat(due)
            shown = instant.astimezone(ZoneInfo(get_settings().default_timezone)).strftime(
                TIME_FORMATS[locale]
            )
        except ValueError:
            shown = due
    clock = str(payload.get("clock", ""))
    values = {
        "number": payload.get("order_number", ""),
        "clock": CLOCK_NAMES.get(locale, {}).get(clock, clock),
        "due_at": shown,
        "step": payload.get("step", ""),
    }
    return render(built_in(topic, locale), values)


def items(
    session: Session,
    *,
    user_id: int,
    unread_only: bool = False,
    offset: int = 0,
    limit: int = 50,
    locale: str = "zh-CN",
) -> list[InboxItem]:
    """One page of the user's inbox, newest first."""
    wanted = offset + limit
    sla_query = (
        select(OutboxMessage, InboxRead.read_at, WorkOrder.number)
        .outerjoin(
            InboxRead, and_(InboxRead.user_id == user_id, InboxRead.outbox_message_id == OutboxMessage.id)
        )
        .outerjoin(WorkOrder, WorkOrder.id == OutboxMessage.order_id)
        .where(OutboxMessage.recipient_user_id == user_id, OutboxMessage.topic.in_(SLA_TOPICS))
        .order_by(OutboxMessage.id.desc())
        .limit(wanted)
    )
    if unread_only:
        sla_query = sla_query.where(InboxRead.read_at.is_(None))
    own_query = (
        select(NotifyMessage, WorkOrder.number)
        .outerjoin(WorkOrder, WorkOrder.id == NotifyMessage.order_id)
        .where(NotifyMessage.user_id == user_id, NotifyMessage.channel == "inbox")
        .order_by(NotifyMessage.id.desc())
        .limit(wanted)
    )
    if unread_only:
        own_query = own_query.where(NotifyMessage.read_at.is_(None))
    found = [
        InboxItem(
            f"o{m.id}",
            m.created_at,
            m.topic,
            _sla_text(m.topic, m.payload or {}, locale),
            read_at is not None,
            m.order_id,
            number,
        )
        for m, read_at, number in session.execute(sla_query)
    ]
    found += [
        InboxItem(f"m{m.id}", m.created_at, m.event, m.text, m.read_at is not None, m.order_id, number)
        for m, number in session.execute(own_query)
    ]
    found.sort(key=lambda item: (item.at, item.id), reverse=True)
    return found[offset:wanted]


def parse_ids(ids: list[str]) -> tuple[list[int], list[int]]:
    """Split item ids into outbox and message ids; a malformed one is refused naming it."""
    if len(ids) > MAX_IDS:
        raise ValidationFailed(f"ids: at most {MAX_IDS} at once, got {len(ids)}", field="ids")
    outbox: list[int] = []
    own: list[int] = []
    for raw in ids:
        kind, number = raw[:1], raw[1:]
        if kind not in ("o", "m") or not number.isascii() or not number.isdigit() or len(number) > 18:
            raise ValidationFailed(f"ids: expected items such as o12 or m34, got {raw!r}", field="ids")
        (outbox if kind == "o" else own).append(int(number))
    return outbox, own


def mark_read(session: Session, *, user_id: int, ids: list[str] | None, at: datetime) -> int:
    """Mark the user's items read (None: all of them); others' ids are ignored. Returns how many."""
    if ids is None:
        targets = session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.recipient_user_id == user_id,
                OutboxMessage.topic.in_(SLA_TOPICS),
                _unread_outbox(user_id),
            )
        ).all()
        own_filter: Any = NotifyMessage.read_at.is_(None)
    else:
        outbox_ids, own_ids = parse_ids(ids)
        targets = (
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.id.in_(outbox_ids),
                    OutboxMessage.recipient_user_id == user_id,
                    OutboxMessage.topic.in_(SLA_TOPICS),
                    _unread_outbox(user_id),
                )
            ).all()
            if outbox_ids
            else []
        )
        own_filter = and_(NotifyMessage.id.in_(own_ids), NotifyMessage.read_at.is_(None))
    if targets:
        session.execute(
            insert(InboxRead), [{"user_id": user_id, "outbox_message_id": t, "read_at": at} for t in targets]
        )
    changed = session.execute(
        update(NotifyMessage)
        .where(NotifyMessage.user_id == user_id, NotifyMessage.channel == "inbox", own_filter)
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    return len(targets) + int(changed.rowcount or 0)  # type: ignore[attr-defined]
