"""Work orders (工单), their relations, notes, attachments, history and routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.clock import now
from manyi.core.db import Base, UTCDateTime
from manyi.core.refdata import register_tables
from manyi.core.sequences import define_sequence

ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid alias must be INTEGER


LIVE = text("deleted_at IS NULL")
UNASSIGNED = text(
    "assignee_id IS NULL AND deleted_at IS NULL AND status IN ('acknowledged', 'inProgress', 'pending', 'held')"
)
# An assignee's open load (manyi.orders.routing.open_load): their live, open orders, in any team.
OPEN_ASSIGNED = text(
    "assignee_id IS NOT NULL AND deleted_at IS NULL AND status IN ('acknowledged', 'inProgress', 'pending', 'held')"
)
PROVISIONAL = text("sla_provisional")
PENDING_REGION = text("region_pending AND deleted_at IS NULL")
LIST_INDEXES = {
    "status_team": ("status", "team_id"),
    "team_status": ("team_id", "status"),
    "region_status_team": ("region_code", "status", "team_id"),  # also the scoped counts by team
    "breached_status": ("sla_breached", "status"),
    "created_at": ("created_at",),
    "updated_at": ("updated_at",),
}


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(
        String(16)
    )  # complaint fault install remove move change inquiry callback proactiveCare
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    channel: Mapped[str] = mapped_column(String(16))  # hotline hall web app sms partner field system
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 1 highest .. 4 lowest
    severity: Mapped[str] = mapped_column(String(16), default="minor")  # critical major minor
    status: Mapped[str] = mapped_column(String(16))  # TMF621 status values
    stage: Mapped[str] = mapped_column(String(32))  # finer stage inside the status
    stage_before_pause: Mapped[str | None] = mapped_column(String(32))  # where `resume` returns to
    title: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"))
    product: Mapped[str | None] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    # Created without a region Manyi could derive: it waits in the triage region until a dispatcher
    # places it (manyi.orders.triage).
    region_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # 首问责任人
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    resolution_code: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    contact_attempts: Mapped[int] = mapped_column(Integer, default=0)
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_policy_id: Mapped[int | None] = mapped_column(Integer)
    sla_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Any clock of the order breached: kept on the order so "breached" lists use an index.
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # hidden by DELETE, history kept
    # How many notes, attachments and linked orders (children + relations) it has, so reading a
    # ticket skips the queries for what it does not have (most have none).
    note_count: Mapped[int] = mapped_column(Integer, default=0)
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    link_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_work_orders_channel_external_id"),
        # The list filters: partial on live orders, so exact counts are index-only scans (a
        # `deleted_at IS NULL` filter outside the index would visit every matching row).
        *(
            Index(f"ix_work_orders_{name}", *columns, postgresql_where=LIVE, sqlite_where=LIVE)
            for name, columns in LIST_INDEXES.items()
        ),
        # The dispatcher board: new unextracted orders by age, and each team's unassigned open orders.
        Index(
            "ix_work_orders_stage_created",
            "stage",
            "created_at",
            "id",
            postgresql_include=["region_code", "team_id", "type"],  # the board's filters, index-only
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
        Index(
            "ix_work_orders_unassigned",
            "team_id",
            "created_at",
            postgresql_where=UNASSIGNED,
            sqlite_where=UNASSIGNED,
        ),
        # Least-loaded assignment and the board's member list count each member's open orders: a
        # small index of open assigned orders, not every order a member ever had.
        Index(
            "ix_work_orders_open_assignee",
            "assignee_id",
            postgresql_where=OPEN_ASSIGNED,
            sqlite_where=OPEN_ASSIGNED,
        ),
        # The missing-holiday-year banner counts provisional orders: a tiny index, usually empty.
        Index(
            "ix_work_orders_provisional",
            "region_code",
            postgresql_where=PROVISIONAL,
            sqlite_where=PROVISIONAL,
        ),
        # The board's triage section: orders waiting for a dispatcher to set their region (few).
        Index(
            "ix_work_orders_region_pending",
            "created_at",
            postgresql_where=PENDING_REGION,
            sqlite_where=PENDING_REGION,
        ),
    )


# Readable order numbers GDyyyymmddNNNNNN draw NNNNNN from this sequence (see manyi.core.sequences).
ORDER_NUMBERS = define_sequence("work_order_number_seq")


class OrderRelation(Base):
    __tablename__ = "order_relations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    related_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # related | duplicate | caused_by


class OrderNote(Base):
    __tablename__ = "order_notes"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class OrderAttachment(Base):
    __tablename__ = "order_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(512))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class OrderEvent(Base):
    """One append-only history entry: who did what when, with each field's before/after."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))  # created transition assigned note sla_warning ...
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{field, before, after}]
    note: Mapped[str | None] = mapped_column(Text)


class OrderContact(Base):
    """One attempt to reach the customer about an order (a call, a visit) and its outcome: reached,
    not_reached or wrong_number (manyi.orders.closed_loop). Append-only; the contact rule counts the
    failed ones, the order page lists them all."""

    __tablename__ = "order_contacts"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class OrderCallback(Base):
    """The callback (回访) on a resolved order: satisfied, basically_satisfied, unsatisfied, or
    unreachable under the contact rule; who made it and when. Append-only: an order re-opened by an
    unsatisfied callback gets another one once resolved again. Satisfaction is counted from here."""

    __tablename__ = "order_callbacks"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # satisfaction counts by period
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)


class RoutingRule(Base):
    """type/category/product/region → team. Null criteria match anything; lowest rank wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, default=100)
    order_type: Mapped[str | None] = mapped_column(String(16))
    category_path_prefix: Mapped[str | None] = mapped_column(String(512))
    product: Mapped[str | None] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    required_skill: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


register_tables("routing_rules")
