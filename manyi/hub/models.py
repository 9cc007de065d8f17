"""Hub subscriptions: who listens to which API's events, at which callback, filtered by which query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.db import Base, UTCDateTime
from manyi.core.ids import new_uuid
from manyi.core.refdata import register_tables

APIS = ("troubleTicket", "customer")


class HubSubscription(Base):
    __tablename__ = "hub_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_uuid)
    api: Mapped[str] = mapped_column(String(32))  # troubleTicket | customer
    callback: Mapped[str] = mapped_column(String(2048))  # events go to {callback}/listener/{eventName}
    query: Mapped[str] = mapped_column(String(1024), default="")  # TMF query filter; "" matches all
    # sha256 of (api, callback, query): a retried subscribe finds the listener it already made, and
    # an index on the (long) callback itself would exceed PostgreSQL's btree entry limit.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Deliveries fan out in (created_at, id) order so a run of emits is reproducible.
    __table_args__ = (Index("ix_hub_subscriptions_api_created_at", "api", "created_at"),)


# emit() runs on every ticket and customer change: subscriptions are read from the per-process
# reference cache, which any write to this table invalidates (manyi.core.refdata).
register_tables("hub_subscriptions")
