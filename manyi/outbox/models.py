"""The transactional outbox: messages written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.db import Base, UTCDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    topic: Mapped[str] = mapped_column(String(64))  # sla.warning, sla.breach, sla.escalation, ...
    channel: Mapped[str] = mapped_column(String(16), default="log")
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A unique key per real-world event: a bug or a retry can never send the same message twice.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    # Messages with the same key are delivered in id order: a later one waits until the earlier is done
    # (e.g. hub:<subscription>:ticket:GD…, so one resource's events reach one listener in order).
    ordering_key: Mapped[str | None] = mapped_column(String(160), index=True)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # NULL once sent (or cancelled)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_messages_available_at", "available_at"),
        # "Escalations waiting for me" on the supervisor page: the newest messages to one user.
        Index("ix_outbox_messages_recipient_user_id_id", "recipient_user_id", "id"),
    )
