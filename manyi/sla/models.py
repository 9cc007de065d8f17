"""SLA policies, their targets, and the clocks every order carries (one per target)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.db import Base, UTCDateTime
from manyi.core.refdata import register_tables

# In the order a work order meets them. `resolution` is the order's own limit: timeliness (工单处理
# 及时率) counts it once per order; the others are stages with rates of their own (manyi.sla.kpis).
TARGET_KINDS = ("extraction", "first_contact", "appointment", "response", "installation", "resolution")
HEADLINE_KIND = "resolution"
STAGE_KINDS = tuple(k for k in TARGET_KINDS if k != HEADLINE_KIND)
RUNNING = text("state = 'running'")
SETTLED = text("settled_at IS NOT NULL")


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
    kind: Mapped[str] = mapped_column(String(16))  # one of TARGET_KINDS
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(
        String(16)
    )  # working_hours | working_days | natural_hours | natural_days
    # A contractor organisation's promise (seed 004: 铁通 crews): this target replaces the policy's
    # target of the same kind while the order is with a team of that organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))


class SlaClock(Base):
    """One target of one order: when it started, is due, was paused, met or breached.

    next_check_at is the next instant the worker must look at the clock (warning, then breach);
    it is NULL when the clock is paused, met or stopped, so a sweep only ever reads what is due.

    settled_at, settled_on_time and credited_team_id record, once and for good, when the clock's
    outcome was decided (met, or its deadline passed), whether it was on time, and the team that
    held the order then (the unit responsible for that step, seed 001): timeliness reads these, so
    a later transfer, re-open or sweep does not move a step to another team, day or outcome.
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
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_on_time: Mapped[bool | None] = mapped_column(Boolean)
    credited_team_id: Mapped[int | None] = mapped_column(Integer)  # a teams.id, kept as history

    __table_args__ = (
        Index("ix_sla_clocks_next_check_at", "next_check_at"),
        # Queues sorted by time left and the board's "breaching within 2 hours": running clocks only.
        Index("ix_sla_clocks_running_due", "due_at", "id", postgresql_where=RUNNING, sqlite_where=RUNNING),
        Index("ix_sla_clocks_due_at", "due_at"),
        # Timeliness: the clocks settled in a period (this index) and the running ones whose
        # deadline passed in it unseen (ix_sla_clocks_running_due) are two range scans.
        Index("ix_sla_clocks_settled_at", "settled_at", postgresql_where=SETTLED, sqlite_where=SETTLED),
    )


register_tables("sla_policies", "sla_targets")


class TimelinessDay(Base):
    """Clocks settled on one closed local day, by credited team, region and clock kind (see
    manyi.sla.kpis; kind `resolution` is the headline, each order once).

    A month's timeliness adds these rows up instead of re-reading every clock of the month (about a
    million on a large operator). Days before today are final once summed, as in the operator's
    daily report: a later policy recompute does not rewrite yesterday's figure."""

    __tablename__ = "timeliness_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: no team
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    settled: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)


class TimelinessDaySummed(Base):
    """Marks a day whose TimelinessDay rows are complete (a day with no settled clock has none)."""

    __tablename__ = "timeliness_days_summed"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    summed_at: Mapped[datetime] = mapped_column(UTCDateTime)
