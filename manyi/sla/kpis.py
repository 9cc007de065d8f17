"""Work-order timeliness (工单处理及时率) by team and clock kind, over a period.

The rule, for one SLA clock at instant `at`:

- A clock is *settled* once its outcome can no longer change:
  - met (met_at set): on time when met_at <= due_at and the clock never breached; settled at met_at
    when on time, else at the earlier of met_at and due_at (the moment it became late);
  - not met but breached (swept, or stopped/paused after breaching): late, settled at due_at;
  - running, not met, due_at <= at: late, settled at due_at (a breach the sweep has not flagged
    yet is still a breach);
  - otherwise (running and not yet due, paused before breaching, stopped before breaching because the
    order was cancelled or rejected) it is not settled and counts nowhere: a paused clock's deadline
    is on hold, and a cancelled order owed nothing.
- Timeliness of a period [start, end) = clocks settled in the period and on time / clocks settled in
  the period. Each clock settles exactly once, so months add up and a late clock is late in the month
  its deadline passed, not in the month someone finally closed it.
- Teams are the order's current team (who holds the backlog now); a re-opened resolution clock
  counts once, with its latest outcome.

`tally` is that rule over plain rows (tested exhaustively); `timeliness` runs the same rule as one
aggregate SQL query; `month_timeliness` adds the month's closed days from daily sums (timeliness_days,
summed once on first need, final from then on like a daily report) to today counted live. Indexes it needs at scale: ix_sla_clocks_due_at (sla_clocks.due_at) and
ix_sla_clocks_met_at (sla_clocks.met_at), so the period's candidates are two index range scans.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.core.clock import now, zone
from manyi.core.db import is_postgres
from manyi.orders.models import WorkOrder
from manyi.sla.models import SlaClock, TimelinessDay, TimelinessDaySummed


@dataclass(frozen=True)
class ClockRow:
    """What the rule looks at of one clock (and its order's team)."""

    team_id: int | None
    kind: str
    state: str  # running paused met stopped
    due_at: datetime
    met_at: datetime | None
    breached: bool


@dataclass
class Tally:
    settled: int = 0
    on_time: int = 0

    @property
    def rate(self) -> float | None:
        """The on-time share, or None when nothing settled (no number beats a misleading 100 %)."""
        return self.on_time / self.settled if self.settled else None

    def add(self, other: Tally) -> None:
        self.settled += other.settled
        self.on_time += other.on_time


def settlement(row: ClockRow, *, at: datetime) -> tuple[datetime, bool] | None:
    """When the clock's outcome was decided and whether it was on time; None while undecided."""
    if row.met_at is not None:
        on_time = row.met_at <= row.due_at and not row.breached
        return (row.met_at if on_time else min(row.met_at, row.due_at)), on_time
    if row.breached or (row.state == "running" and row.due_at <= at):
        return row.due_at, False
    return None


def tally(
    rows: Iterable[ClockRow], *, start: datetime, end: datetime, at: datetime
) -> dict[tuple[int | None, str], Tally]:
    """Settled and on-time clocks of [start, end) (only what settled by `at`), by (team, kind)."""
    out: dict[tuple[int | None, str], Tally] = {}
    for row in rows:
        settled = settlement(row, at=at)
        if settled is None or not (start <= settled[0] < end) or settled[0] > at:
            continue
        t = out.setdefault((row.team_id, row.kind), Tally())
        t.settled += 1
        t.on_time += settled[1]
    return out


def by_team(tallies: dict[tuple[int | None, str], Tally]) -> dict[int | None, Tally]:
    """Roll the per-kind tallies up to one per team."""
    out: dict[int | None, Tally] = {}
    for (team_id, _kind), t in tallies.items():
        out.setdefault(team_id, Tally()).add(t)
    return out


def total(tallies: dict[tuple[int | None, str], Tally]) -> Tally:
    out = Tally()
    for t in tallies.values():
        out.add(t)
    return out


@dataclass(frozen=True)
class Period:
    key: str  # today | month
    start: datetime
    end: datetime


def periods(at: datetime, tz_name: str) -> list[Period]:
    """Today and this month in the operator's time zone (a day starts at local midnight)."""
    local = at.astimezone(zone(tz_name))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    return [Period("today", day, day + timedelta(days=1)), Period("month", month, next_month)]


def _settled_query(*, start: datetime, end: datetime, at: datetime, regions: frozenset[str] | None) -> Any:
    """The `tally` rule as one query over the clocks that met or fell due in [start, end)."""
    c = SlaClock
    met = c.met_at.is_not(None)
    on_time = and_(met, c.met_at <= c.due_at, c.breached.is_(False))
    settled_at = case((on_time, c.met_at), (and_(met, c.met_at < c.due_at), c.met_at), else_=c.due_at)
    counted = or_(met, c.breached.is_(True), and_(c.state == "running", c.due_at <= at))
    query = (
        select(func.count().label("settled"), func.sum(case((on_time, 1), else_=0)).label("on_time"))
        .select_from(c)
        .join(WorkOrder, WorkOrder.id == c.order_id)
        .where(
            # The candidates: two index range scans (met_at, due_at); the exact rule follows.
            or_(and_(c.met_at >= start, c.met_at < end), and_(c.due_at >= start, c.due_at < end)),
            counted,
            settled_at >= start,
            settled_at < end,
            settled_at <= at,
            WorkOrder.deleted_at.is_(None),
        )
    )
    if regions is not None:
        query = query.where(WorkOrder.region_code.in_(sorted(regions)))
    return query


def timeliness(
    session: Session, *, start: datetime, end: datetime, at: datetime, regions: frozenset[str] | None
) -> dict[tuple[int | None, str], Tally]:
    """The `tally` rule as one grouped query over the clocks that met or fell due in [start, end)."""
    query = (
        _settled_query(start=start, end=end, at=at, regions=regions)
        .add_columns(WorkOrder.team_id, SlaClock.kind)
        .group_by(WorkOrder.team_id, SlaClock.kind)
    )
    return {(team_id, kind): Tally(int(n), int(ok or 0)) for n, ok, team_id, kind in session.execute(query)}


def _sum_day(session: Session, day: date, tz_name: str) -> None:
    """Store one closed day's settled clocks by team, region and kind, and mark the day summed.
    Two requests summing the same day at once both insert the same rows; the second is ignored."""
    start = datetime.combine(day, time(), zone(tz_name))
    end = start + timedelta(days=1)
    query = (
        _settled_query(start=start, end=end, at=end, regions=None)
        .add_columns(WorkOrder.team_id, WorkOrder.region_code, SlaClock.kind)
        .group_by(WorkOrder.team_id, WorkOrder.region_code, SlaClock.kind)
    )
    rows = [
        {
            "day": day,
            "team_id": team_id or 0,
            "region_code": region,
            "kind": kind,
            "settled": int(n),
            "on_time": int(ok or 0),
        }
        for n, ok, team_id, region, kind in session.execute(query)
    ]
    dialect_insert = pg_insert if is_postgres(session) else sqlite_insert
    if rows:
        session.execute(dialect_insert(TimelinessDay).values(rows).on_conflict_do_nothing())
    session.execute(
        dialect_insert(TimelinessDaySummed).values(day=day, summed_at=now()).on_conflict_do_nothing()
    )


def month_timeliness(
    session: Session,
    *,
    period: Period,
    today: Period,
    at: datetime,
    regions: frozenset[str] | None,
    tz_name: str,
    live_today: dict[tuple[int | None, str], Tally] | None = None,
) -> dict[tuple[int | None, str], Tally]:
    """This month = its closed days from the daily sums (summed on first need) + today counted live."""
    first = period.start.date()
    days = [first + timedelta(days=i) for i in range((today.start.date() - first).days)]
    if days:
        summed = set(
            session.scalars(select(TimelinessDaySummed.day).where(TimelinessDaySummed.day.in_(days)))
        )
        for day in days:
            if day not in summed:
                _sum_day(session, day, tz_name)
    if live_today is None:
        live_today = timeliness(session, start=today.start, end=today.end, at=at, regions=regions)
    out = {key: Tally(t.settled, t.on_time) for key, t in live_today.items()}
    if not days:
        return out
    d = TimelinessDay
    query = (
        select(d.team_id, d.kind, func.sum(d.settled), func.sum(d.on_time))
        .where(d.day >= days[0], d.day <= days[-1])
        .group_by(d.team_id, d.kind)
    )
    if regions is not None:
        query = query.where(d.region_code.in_(sorted(regions)))
    for team_id, kind, n, ok in session.execute(query):
        out.setdefault((team_id or None, kind), Tally()).add(Tally(int(n), int(ok or 0)))
    return out
