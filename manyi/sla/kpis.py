"""Work-order timeliness (工单处理及时率) by team and clock kind, over a period (docs/kpis.md).

The rule, for one SLA clock at instant `at`:

- A clock is *settled* once its outcome is decided, and that is recorded on it for good
  (settled_at, settled_on_time, credited_team_id: manyi.sla.rules.settle) by whoever decides it:
  - met before or at its deadline: on time, settled when met;
  - met after it, breached by the sweep, or stopped or paused by its order after its deadline
    passed: late, settled at the deadline;
  - a running clock past its deadline that nothing has recorded yet (the sweep has not come by) is
    late all the same, settled at its deadline, credited to the order's current team;
  - otherwise (running and not yet due, paused before its deadline, stopped before it because the
    order was cancelled or rejected) it is not settled and counts nowhere.
- A clock settles once. An unhappy callback re-opens a met resolution clock, which runs again (and
  escalates if late) but keeps the outcome it settled with: it counts once, in every period.
- Timeliness of a period [start, end) = clocks settled in it on time / clocks settled in it, by the
  team credited with each (the unit that held the order when that step's outcome was decided, seed
  001's 每环节的责任单位) and kind. Each clock settles once, so months add up, and a late clock is
  late in the month its deadline passed, not in the month someone finally closed it.
- The headline (工单处理及时率, target 96 %) is kind `resolution` alone: every order once, on its
  own limit. The stage clocks (extraction, first contact, appointment, response, installation) are
  rates of their own and never pooled into it (`headline`, `stage_rates`).

`tally` is that rule over plain rows (tested exhaustively); `timeliness` runs the same rule as one
aggregate SQL query; `month_timeliness` adds the month's closed days from daily sums (timeliness_days,
summed once on first need, final from then on like a daily report) to today counted live. Indexes
it needs at scale: ix_sla_clocks_settled_at and ix_sla_clocks_running_due, so the period's
candidates are two index range scans.
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
from manyi.orders.queries import Viewer, visible
from manyi.sla.models import HEADLINE_KIND, STAGE_KINDS, SlaClock, TimelinessDay, TimelinessDaySummed

Tallies = dict[tuple[int | None, str], "Tally"]


@dataclass(frozen=True)
class ClockRow:
    """What the rule looks at of one clock (and its order's current team)."""

    kind: str
    state: str  # running paused met stopped
    due_at: datetime
    settled_at: datetime | None
    settled_on_time: bool | None
    credited_team_id: int | None
    order_team_id: int | None


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


def settlement(row: ClockRow, *, at: datetime) -> tuple[datetime, bool, int | None] | None:
    """When the clock's outcome was decided, whether on time, and the team credited; None while
    undecided."""
    if row.settled_at is not None:
        return row.settled_at, bool(row.settled_on_time), row.credited_team_id
    if row.state == "running" and row.due_at <= at:
        return row.due_at, False, row.order_team_id
    return None


def tally(rows: Iterable[ClockRow], *, start: datetime, end: datetime, at: datetime) -> Tallies:
    """Settled and on-time clocks of [start, end) (only what settled by `at`), by (team, kind)."""
    out: Tallies = {}
    for row in rows:
        settled = settlement(row, at=at)
        if settled is None or not (start <= settled[0] < end) or settled[0] > at:
            continue
        t = out.setdefault((settled[2], row.kind), Tally())
        t.settled += 1
        t.on_time += settled[1]
    return out


def by_team(tallies: Tallies, kind: str = HEADLINE_KIND) -> dict[int | None, Tally]:
    """One kind's tallies by team: by default the headline, each order once on its resolution."""
    out: dict[int | None, Tally] = {}
    for (team_id, k), t in tallies.items():
        if k == kind:
            out.setdefault(team_id, Tally()).add(t)
    return out


def total(tallies: Tallies, kind: str = HEADLINE_KIND) -> Tally:
    """One kind's tally over all teams: by default the headline."""
    out = Tally()
    for t in by_team(tallies, kind).values():
        out.add(t)
    return out


def stage_rates(tallies: Tallies) -> dict[str, Tally]:
    """Each stage kind's tally over all teams (stages with nothing settled left out)."""
    return {kind: t for kind in STAGE_KINDS if (t := total(tallies, kind)).settled}


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
    """The `tally` rule as one query over the clocks settled, or running past a deadline, in
    [start, end); the team credited is its column `team`."""
    c = SlaClock
    stored = c.settled_at.is_not(None)
    overdue = and_(c.settled_at.is_(None), c.state == "running", c.due_at <= at)
    settled_at = func.coalesce(c.settled_at, c.due_at)
    on_time = and_(stored, c.settled_on_time.is_(True))
    query = (
        select(func.count().label("settled"), func.sum(case((on_time, 1), else_=0)).label("on_time"))
        .select_from(c)
        .join(WorkOrder, WorkOrder.id == c.order_id)
        .where(
            # The candidates: two index range scans (settled_at, and running clocks' due_at).
            or_(
                and_(c.settled_at >= start, c.settled_at < end),
                and_(overdue, c.due_at >= start, c.due_at < end),
            ),
            settled_at <= at,
            *visible(Viewer(regions=regions)),
        )
    )
    return query


def _team() -> Any:
    """The team credited: recorded on the clock when settled, else (late, unrecorded) the order's."""
    return case((SlaClock.settled_at.is_not(None), SlaClock.credited_team_id), else_=WorkOrder.team_id)


def timeliness(
    session: Session, *, start: datetime, end: datetime, at: datetime, regions: frozenset[str] | None
) -> Tallies:
    """The `tally` rule as one grouped query over the clocks settled in [start, end)."""
    team = _team().label("team")
    query = (
        _settled_query(start=start, end=end, at=at, regions=regions)
        .add_columns(team, SlaClock.kind)
        .group_by(team, SlaClock.kind)
    )
    return {(team_id, kind): Tally(int(n), int(ok or 0)) for n, ok, team_id, kind in session.execute(query)}


def _sum_day(session: Session, day: date, tz_name: str) -> None:
    """Store one closed day's settled clocks by credited team, region and kind, and mark the day
    summed. Two requests summing the same day at once both insert the same rows; the second is
    ignored."""
    start = datetime.combine(day, time(), zone(tz_name))
    end = start + timedelta(days=1)
    team = _team().label("team")
    query = (
        _settled_query(start=start, end=end, at=end, regions=None)
        .add_columns(team, WorkOrder.region_code, SlaClock.kind)
        .group_by(team, WorkOrder.region_code, SlaClock.kind)
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
    live_today: Tallies | None = None,
) -> Tallies:
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
