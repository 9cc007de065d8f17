"""Customers and their subscriptions (mobile, broadband, IPTV)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.clock import now
from manyi.core.db import Base, UTCDateTime

BRANDS = ("gotone", "mzone", "easyown")  # 全球通, 动感地带, 神州行
PRODUCTS = ("mobile", "broadband", "iptv")
KINDS = ("individual", "organization")  # 个人客户 / 政企·集团客户
# Ids a client chooses (TMF engagedParty.id, a contact's party id): a UUID (36) fits, with room.
PARTY_ID_LENGTH = 64


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_no: Mapped[str] = mapped_column(String(PARTY_ID_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="individual", server_default="individual")
    name: Mapped[str] = mapped_column(String(64))  # the person's, or the organization's name
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    # ID numbers are stored encrypted, with a keyed hash for exact matching.
    id_number_encrypted: Mapped[str | None] = mapped_column(String(255))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    brand: Mapped[str] = mapped_column(String(16))
    vip_level: Mapped[int] = mapped_column(Integer, default=0)  # 0 none .. 3 diamond
    list_flag: Mapped[str | None] = mapped_column(String(8))  # red | blue | None
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    # Name search, exact and by prefix (the console's caller lookup): on PostgreSQL a pattern_ops
    # btree serves both `=` and LIKE 'x%', which a collation-aware one cannot.
    __table_args__ = (
        Index("ix_customers_name_pattern", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Set when the customer's personal data was erased on request (PIPL); the row stays for its orders.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product: Mapped[str] = mapped_column(String(16))
    service_number: Mapped[str] = mapped_column(String(32), index=True)  # MSISDN or broadband account
    address: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CustomerEvent(Base):
    """One append-only entry of a customer's history: who changed what when, each field's before and
    after (ID numbers stored masked), and the reason given (required for red/blue list changes)."""

    __tablename__ = "customer_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))  # created | updated
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{field, before, after}]
    note: Mapped[str | None] = mapped_column(Text)


class CustomerContact(Base):
    """A contact person of an organization customer (the IT manager of a 集团客户, say)."""

    __tablename__ = "customer_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    party_id: Mapped[str] = mapped_column(String(PARTY_ID_LENGTH))  # the client's id for the person
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(64))  # 职务, e.g. 信息中心主任
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(128))


class CustomerErasure(Base):
    """The record that a customer's personal data was erased: who, when and why, never what."""

    __tablename__ = "customer_erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # which kinds of data were erased
