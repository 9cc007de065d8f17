"""SLA policies, their targets, and the clocks every order carries (one per target)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.db import Base, UTCDateTime
from manyi.core.refdata import register_tables

TARGET_KINDS = ("first_contact", "appointment", "response", "resolution")


class SlaPolicy(Base):
    """Targets for the orders a policy matches. Null criteria match anything; lowest rank wins."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    rank: Mapped[int] = mapped_column(Integer, default=100)
    order_types: Mapped[list[str] | None] = mapped_column(JSON)
    category_path_prefixes: Mapped[list[str] | None] = mapped_column(JSON)
    products: Mapped[list[str] | None] = mapped_column(JSON)
    brands: Mapped[list[str] | None] = mapped_column(JSON)
    vip_levels: Mapped[list[int] | None] = mapped_column(JSON)
    priorities: Mapped[list[int] | None] = mapped_column(JSON)
    channels: Mapped[list[str] | None] = mapped_column(JSON)
    region_codes: Mapped[list[str] | None] = mapped_column(JSON)
    calendar_name: Mapped[str | None] = mapped_column(String(64))  # null: the team's, region's or default
    warning_share: Mapped[float] = mapped_column(Float, default=0.8)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class SlaTarget(Base):
    __tablename__ = "sla_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # first_contact | appointment | response | resolution
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(
        String(16)
    )  # working_hours | working_days | natural_hours | natural_days


class SlaClock(Base):
    """One target of one order: when it started, is due, was paused, met or breached.

    next_check_at is the next instant the worker must look at the clock (warning, then breach);
    it is NULL when the clock is paused, met or stopped, so a sweep only ever reads what is due.
    """

    __tablename__ = "sla_clocks"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id"))
    calendar_name: Mapped[str] = mapped_column(String(64))
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    warning_share: Mapped[float] = mapped_column(Float, default=0.8)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running paused met stopped
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    budget_seconds: Mapped[int] = mapped_column(Integer)  # the limit in (working or natural) seconds
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pauses: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[start_iso, end_iso], ...]
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sla_clocks_next_check_at", "next_check_at"),)


register_tables("sla_policies", "sla_targets")
