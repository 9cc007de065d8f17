"""Organisation: administrative regions, departments, teams and staff users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.clock import now
from manyi.core.db import Base, UTCDateTime
from manyi.core.refdata import register_tables


class Region(Base):
    """A province, city or district, keyed by its official division code (adcode)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # province | city | district
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    calendar_name: Mapped[str | None] = mapped_column(String(64))


# What an organisation is to the operator (DOMAIN.md "who uses it", seed 004): the operator itself
# (its own staff, usually no organisation row at all), a channel partner (代销点) that sells and
# follows its own customers' orders, or a contractor (代维, e.g. a 铁通 crew) whose teams do field work.
ORGANISATION_KINDS = ("own", "channel_partner", "contractor")


class Organisation(Base):
    """A company users and teams belong to; staff with no organisation are the operator's own."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of ORGANISATION_KINDS
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # hotline | back_office | network | field_own | field_partner | complaint_expert | management
    kind: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    head_user_id: Mapped[int | None] = mapped_column(Integer)  # soft reference: users also point at teams


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    lead_user_id: Mapped[int | None] = mapped_column(Integer)  # soft reference: users also point at teams
    calendar_name: Mapped[str | None] = mapped_column(String(64))
    # A contractor's crew (代维): SLA policies may promise other limits for its organisation's teams.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)


class User(Base):
    """A staff member or a system account. An empty regions list means all regions."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    # A channel partner's staff see only their organisation's orders (manyi.orders.partner_scope).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


register_tables("regions", "teams", "organisations")
