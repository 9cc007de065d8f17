"""Working-time calendars: business hours, the national holiday schedule, per-date overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.clock import now
from manyi.core.db import Base, UTCDateTime
from manyi.core.refdata import register_tables


class Calendar(Base):
    __tablename__ = "calendars"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # official: follows the national holiday schedule; always: 7x24, every instant is working time
    kind: Mapped[str] = mapped_column(String(16), default="official")
    version: Mapped[int] = mapped_column(Integer, default=1)


class CalendarHours(Base):
    """One working interval of a weekday; several rows a day make a lunch break."""

    __tablename__ = "calendar_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_name: Mapped[str] = mapped_column(ForeignKey("calendars.name"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class HolidayYear(Base):
    """A year whose official schedule (holidays and 调休 days) is loaded."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(32))  # chinesecalendar | holidays | admin
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class HolidayDay(Base):
    """A date of the national schedule: a public holiday, or a make-up working day (调休)."""

    __tablename__ = "holiday_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(64), default="")


class CalendarOverride(Base):
    """An admin's decision for one date of one calendar; wins over every other rule."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("calendar_name", "day", name="uq_calendar_overrides_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_name: Mapped[str] = mapped_column(ForeignKey("calendars.name"), index=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    # [[start_minute, end_minute], ...]; null = the calendar's normal weekday hours
    intervals: Mapped[list[Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(255), default="")


register_tables("calendars", "calendar_hours", "holiday_years", "holiday_days", "calendar_overrides")
