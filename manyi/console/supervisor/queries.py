"""What a supervisor watches: open orders counted by team and status, breached open orders, and
clocks about to breach. Every query is bounded and served by an index (named at each function)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from manyi.orders.lifecycle import OPEN_STATUSES
from manyi.orders.models import WorkOrder
from manyi.orders.queries import Viewer, visible
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock

LIST_LIMIT = 50


# Any select statement: the helper adds conditions and keeps the statement's row type.
Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")


def _live_open(query: Q, viewer: Viewer) -> Q:
    return query.where(*visible(viewer), WorkOrder.status.in_(OPEN_STATUSES))


@dataclass
class CountTable:
    """Open orders as a team × status table with row, column and grand totals."""

    statuses: tuple[str, ...]
    teams: list[int | None]
    cells: dict[tuple[int | None, str], int]
    team_totals: dict[int | None, int] = field(default_factory=dict)
    status_totals: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def cell(self, team_id: int | None, status: str) -> int:
        return self.cells.get((team_id, status), 0)


def count_table(rows: list[tuple[int | None, str, int]]) -> CountTable:
    """Arrange (team, status, count) rows; teams with the most open orders first."""
    table = CountTable(OPEN_STATUSES, [], {})
    for team_id, status, n in rows:
        table.cells[(team_id, status)] = table.cells.get((team_id, status), 0) + n
        table.team_totals[team_id] = table.team_totals.get(team_id, 0) + n
        table.status_totals[status] = table.status_totals.get(status, 0) + n
        table.total += n
    table.teams = sorted(table.team_totals, key=lambda t: (-table.team_totals[t], t is None, t or 0))
    return table


def open_counts(session: Session, *, viewer: Viewer) -> CountTable:
    """Open orders by team and status. Unscoped: an index-only scan of ix_work_orders_status_team;
    scoped to regions it needs ix_work_orders_region_status_team (region_code, status, team_id),
    partial on live orders, to stay index-only."""
    query = _live_open(select(WorkOrder.team_id, WorkOrder.status, func.count()), viewer).group_by(
        WorkOrder.team_id, WorkOrder.status
    )
    return count_table([(t, s, int(n)) for t, s, n in session.execute(query)])


@dataclass(frozen=True)
class WatchedClock:
    """One clock of an open order, with what the page shows of the order."""

    order_id: int
    number: str
    title: str | None
    order_type: str
    status: str
    team_id: int | None
    assignee_id: int | None
    kind: str
    unit: str
    state: str
    due_at: datetime
    warn_at: datetime


ORDER_COLUMNS = (
    WorkOrder.id,
    WorkOrder.number,
    WorkOrder.title,
    WorkOrder.type,
    WorkOrder.status,
    WorkOrder.team_id,
    WorkOrder.assignee_id,
)
CLOCK_COLUMNS = (SlaClock.kind, SlaClock.unit, SlaClock.state, SlaClock.due_at, SlaClock.warn_at)


def breached_open(
    session: Session, *, viewer: Viewer, limit: int = LIST_LIMIT
) -> tuple[int, list[WatchedClock]]:
    """How many open orders have a breached clock, and the `limit` oldest of them, each with its
    earliest breached clock. Orders come from ix_work_orders_breached_status (sla_breached, status),
    their clocks from ix_sla_clocks_order_id: bounded queries, no scan of all breached clocks."""
    breached = WorkOrder.sla_breached.is_(True)
    total = int(
        session.scalar(_live_open(select(func.count()).select_from(WorkOrder), viewer).where(breached)) or 0
    )
    if not total:
        return 0, []
    # Materialised first: left to itself PostgreSQL walks ix_work_orders_created_at from the oldest
    # order hoping to meet 50 breached open ones soon, and reads most closed orders on the way
    # (3.5 s on 1,000,000 orders). The breached open set is small (the open backlog), so collect
    # it from ix_work_orders_breached_status and sort that: 0.1 s.
    candidates = (
        _live_open(select(WorkOrder.id, WorkOrder.created_at), viewer)
        .where(breached)
        .cte("breached_open")
        .prefix_with("MATERIALIZED")
    )
    ids = list(
        session.scalars(
            select(candidates.c.id).order_by(candidates.c.created_at, candidates.c.id).limit(limit)
        )
    )
    found = {row[0]: row for row in session.execute(select(*ORDER_COLUMNS).where(WorkOrder.id.in_(ids)))}
    orders = [found[i] for i in ids if i in found]
    earliest: dict[int, tuple[Any, ...]] = {}
    clocks = select(SlaClock.order_id, *CLOCK_COLUMNS).where(
        SlaClock.order_id.in_([o[0] for o in orders]), SlaClock.breached.is_(True)
    )
    for order_id, *clock in session.execute(clocks.order_by(SlaClock.due_at, SlaClock.id)):
        earliest.setdefault(order_id, tuple(clock))
    return total, [WatchedClock(*order, *earliest[order[0]]) for order in orders if order[0] in earliest]


def due_soon(
    session: Session,
    *,
    viewer: Viewer,
    at: datetime,
    within: timedelta = timedelta(hours=2),
    limit: int = LIST_LIMIT,
) -> tuple[int, list[WatchedClock]]:
    """Running clocks of open orders that fall due in (at, at + within], soonest first, and how many
    orders have one. A running, unbreached clock is next checked at its warning or its deadline,
    both no later than due_at, so the existing ix_sla_clocks_next_check_at bounds the scan."""
    until = at + within
    where = (
        SlaClock.next_check_at <= until,
        SlaClock.state == "running",
        SlaClock.breached.is_(False),
        SlaClock.due_at > at,
        SlaClock.due_at <= until,
    )
    joined = select(func.count(func.distinct(SlaClock.order_id))).join(
        WorkOrder, WorkOrder.id == SlaClock.order_id
    )
    total = int(session.scalar(_live_open(joined.where(*where), viewer)) or 0)
    if not total:
        return 0, []
    query = _live_open(
        select(*ORDER_COLUMNS, *CLOCK_COLUMNS)
        .join(SlaClock, SlaClock.order_id == WorkOrder.id)
        .where(*where),
        viewer,
    )
    rows: list[Any] = list(session.execute(query.order_by(SlaClock.due_at, SlaClock.id).limit(limit)))
    return total, [WatchedClock(*row) for row in rows]


def provisional_open(session: Session, *, viewer: Viewer) -> int:
    """Open orders with a provisional deadline (computed past the loaded holiday data). Asked only
    while next year's schedule is missing; a partial index on work_orders (region_code) WHERE
    sla_provisional keeps it cheap."""
    # The bare column, not IS TRUE: PostgreSQL only matches the partial index's `WHERE
    # sla_provisional` to the same predicate (42 ms -> 0.04 ms on a million orders).
    query = _live_open(select(func.count()).select_from(WorkOrder), viewer).where(WorkOrder.sla_provisional)
    return int(session.scalar(query) or 0)


SLA_TOPICS = ("sla.warning", "sla.breach", "sla.escalation")


@dataclass(frozen=True)
class Escalation:
    """An SLA warning, breach or escalation sent to one user about an order still open."""

    message_id: int
    sent_at: datetime
    topic: str
    step: str
    clock_kind: str
    due_at: datetime | None
    order_id: int
    number: str
    status: str
    team_id: int | None


def escalations_for(
    session: Session, *, user_id: int, viewer: Viewer, limit: int = LIST_LIMIT
) -> tuple[int, list[Escalation]]:
    """The SLA messages addressed to user_id (the sweep's outbox rows) whose order is still open,
    newest first, and how many there are. Needs ix_outbox_messages_recipient_user_id_id
    (recipient_user_id, id): a user's messages newest first without reading anyone else's."""
    where = (OutboxMessage.recipient_user_id == user_id, OutboxMessage.topic.in_(SLA_TOPICS))
    joined = (
        select(func.count())
        .select_from(OutboxMessage)
        .join(WorkOrder, WorkOrder.id == OutboxMessage.order_id)
    )
    total = int(session.scalar(_live_open(joined.where(*where), viewer)) or 0)
    if not total:
        return 0, []
    query = _live_open(
        select(
            OutboxMessage.id,
            OutboxMessage.created_at,
            OutboxMessage.topic,
            OutboxMessage.payload,
            WorkOrder.id,
            WorkOrder.number,
            WorkOrder.status,
            WorkOrder.team_id,
        )
        .join(WorkOrder, WorkOrder.id == OutboxMessage.order_id)
        .where(*where),
        viewer,
    ).order_by(OutboxMessage.id.desc())
    out = []
    for mid, sent_at, topic, payload, order_id, number, status, team_id in session.execute(
        query.limit(limit)
    ):
        payload = payload or {}
        due = payload.get("due_at")
        out.append(
            Escalation(
                mid,
                sent_at,
                topic,
                str(payload.get("step", "")),
                str(payload.get("clock", "")),
                datetime.fromisoformat(due) if isinstance(due, str) else None,
                order_id,
                number,
                status,
                team_id,
            )
        )
    return total, out
