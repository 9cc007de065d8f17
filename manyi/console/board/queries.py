"""The dispatcher board's queries and its bulk assignment: new unextracted orders, orders about to
breach, unassigned open orders by team. Every query is region-scoped and paginated.

Indexes these rely on (PostgreSQL, 1,000,000 orders):
- new orders: `ix_work_orders_stage_created (stage, created_at) WHERE deleted_at IS NULL` (needed;
  today ix_work_orders_status_team narrows to `acknowledged`, then sorts that backlog);
- breaching soon: `ix_sla_clocks_running_due (due_at) WHERE state = 'running' AND NOT breached`
  (needed; today ix_sla_clocks_next_check_at serves it, because a running, unbreached clock is next
  checked at its warning or due instant, never later than due_at: see the `next_check_at` bound);
- unassigned: `ix_work_orders_unassigned (team_id, created_at) WHERE assignee_id IS NULL AND
  deleted_at IS NULL AND status IN (open statuses)` (needed; today ix_work_orders_team_status);
- member load: ix_work_orders_open_assignee (open assigned live orders by assignee).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.core.errors import ValidationFailed
from manyi.orders import lifecycle
from manyi.orders.models import WorkOrder
from manyi.orders.queries import Viewer, visible, visible_orders
from manyi.orders.routing import open_load
from manyi.orders.service import assign_order
from manyi.org.models import User
from manyi.org.reference import region_chain, region_index, user_index
from manyi.sla.models import SlaClock

PAGE_SIZE = 50
_Query = TypeVar("_Query", bound=Select)  # any row shape
BREACH_WINDOW = timedelta(hours=2)
SECTIONS = ("new", "breaching", "unassigned")
MAX_BULK = 200  # one form post; more than a board page or two is a mistake, not a workload


@dataclass(frozen=True)
class BoardFilter:
    """What the dispatcher narrowed the board to (all optional)."""

    team_id: int | None = None
    region_code: str | None = None
    order_type: str | None = None


class BulkAssignRefused(ValidationFailed):
    """One selected order cannot be assigned; reason is a code (missing, finished, other_team) so a
    page can say it in the user's language, with the order's number."""

    def __init__(self, message: str, *, reason: str, order_ref: str) -> None:
        super().__init__(message, field="orders")
        self.reason = reason
        self.order_ref = order_ref


@dataclass(frozen=True)
class Member:
    user_id: int
    display_name: str
    open_load: int


def _filtered(session: Session, statement: _Query, *, viewer: Viewer, where: BoardFilter) -> _Query:
    statement = statement.where(*visible(viewer))
    if where.region_code:  # a chosen region covers its descendants
        chosen = [c for c in region_index(session) if where.region_code in region_chain(session, c)]
        statement = statement.where(WorkOrder.region_code.in_(sorted(chosen)))
    if where.team_id is not None:
        statement = statement.where(WorkOrder.team_id == where.team_id)
    if where.order_type:
        statement = statement.where(WorkOrder.type == where.order_type)
    return statement


def new_orders(
    session: Session,
    *,
    viewer: Viewer,
    where: BoardFilter,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[WorkOrder]:
    """Accepted orders nobody has extracted yet, oldest first (limit + 1 rows tell of a next page).

    Two steps: the page's ids from ix_work_orders_stage_created alone (an index-only scan: the
    filters' columns are INCLUDEd in it), then those rows. Asked for whole rows at once, PostgreSQL
    assumes the few accepted orders are spread evenly in time and walks the created_at index through
    a million older, closed orders to find them (they are the newest)."""
    # The stage alone: "accepted" exists only inside the initial status (the state machine), and a
    # second equality would make the planner multiply selectivities and misjudge further.
    ids_query = _filtered(
        session,
        select(WorkOrder.id).where(WorkOrder.stage == lifecycle.INITIAL[1]),
        viewer=viewer,
        where=where,
    )
    ids = list(
        session.scalars(
            ids_query.order_by(WorkOrder.created_at, WorkOrder.id).offset(offset).limit(limit + 1)
        )
    )
    if not ids:
        return []
    rows = {o.id: o for o in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def breaching_soon(
    session: Session,
    *,
    viewer: Viewer,
    where: BoardFilter,
    at: datetime | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[tuple[WorkOrder, SlaClock]]:
    """Running clocks due within the next two hours and not yet breached, soonest first."""
    at = at or now()
    horizon = at + BREACH_WINDOW
    statement = (
        select(WorkOrder, SlaClock)
        .join(SlaClock, SlaClock.order_id == WorkOrder.id)
        .where(
            SlaClock.state == "running",
            SlaClock.breached.is_(False),
            SlaClock.due_at > at,
            SlaClock.due_at <= horizon,
            # Redundant by construction (next check <= due) but lets the existing index bound the scan.
            SlaClock.next_check_at <= horizon,
            WorkOrder.status.in_(lifecycle.OPEN_STATUSES),
        )
    )
    statement = _filtered(session, statement, viewer=viewer, where=where)
    rows = session.execute(
        statement.order_by(SlaClock.due_at, SlaClock.id).offset(offset).limit(limit + 1)
    ).all()
    return [(row[0], row[1]) for row in rows]


def _unassigned(statement: _Query) -> _Query:
    return statement.where(WorkOrder.assignee_id.is_(None), WorkOrder.status.in_(lifecycle.OPEN_STATUSES))


def unassigned_counts(
    session: Session, *, viewer: Viewer, where: BoardFilter
) -> list[tuple[int | None, int]]:
    """How many open orders wait for an assignee, per team (largest backlog first)."""
    everywhere = BoardFilter(region_code=where.region_code, order_type=where.order_type)
    statement = _filtered(
        session, _unassigned(select(WorkOrder.team_id, func.count())), viewer=viewer, where=everywhere
    )
    rows = session.execute(statement.group_by(WorkOrder.team_id)).all()
    return sorted(((team, int(n)) for team, n in rows), key=lambda r: (-r[1], r[0] or 0))


def unassigned_orders(
    session: Session,
    *,
    viewer: Viewer,
    where: BoardFilter,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[WorkOrder]:
    """Open orders of the chosen team without an assignee, oldest first."""
    statement = _filtered(session, _unassigned(select(WorkOrder)), viewer=viewer, where=where)
    return list(
        session.scalars(
            statement.order_by(WorkOrder.created_at, WorkOrder.id).offset(offset).limit(limit + 1)
        )
    )


def soonest_clocks(session: Session, *, order_ids: list[int]) -> dict[int, SlaClock]:
    """Each order's clock that runs out first among those still counting or paused (one query)."""
    if not order_ids:
        return {}
    clocks = session.scalars(
        select(SlaClock).where(SlaClock.order_id.in_(order_ids), SlaClock.state.in_(("running", "paused")))
    )
    soonest: dict[int, SlaClock] = {}
    for clock in clocks:
        best = soonest.get(clock.order_id)
        if best is None or clock.due_at < best.due_at:
            soonest[clock.order_id] = clock
    return soonest


def team_members(session: Session, *, team_id: int) -> list[Member]:
    """The team's active members, least loaded first: their open load as auto-assignment counts it
    (manyi.orders.routing.open_load), so the board shows the number the assignment goes by."""
    users = user_index(session)
    ids = list(session.scalars(select(User.id).where(User.team_id == team_id, User.active.is_(True))))
    if not ids:
        return []
    load = open_load(session, user_ids=ids)
    members = [Member(i, users[i].display_name if i in users else str(i), load.get(i, 0)) for i in ids]
    return sorted(members, key=lambda m: (m.open_load, m.user_id))


def bulk_assign_flow(
    session: Session,
    *,
    order_ids: list[int],
    team_id: int,
    assignee_id: int,
    viewer: Viewer,
    actor_id: int,
) -> list[WorkOrder]:
    """Assign every order to one member of their team, or none: the first bad order is named."""
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        raise ValidationFailed("orders: select at least one order", field="orders")
    if len(wanted) > MAX_BULK:
        raise ValidationFailed(f"orders: at most {MAX_BULK} orders at once", field="orders")
    if assignee_id not in {m.user_id for m in team_members(session, team_id=team_id)}:
        raise ValidationFailed("assignee: choose an active member of the team", field="assignee")
    found = {o.id: o for o in session.scalars(visible_orders(viewer).where(WorkOrder.id.in_(wanted)))}
    for order_id in wanted:
        order = found.get(order_id)
        if order is None:
            raise BulkAssignRefused(
                f"orders: order {order_id} does not exist or is outside your regions",
                reason="missing",
                order_ref=str(order_id),
            )
        if order.status not in lifecycle.OPEN_STATUSES:
            raise BulkAssignRefused(
                f"orders: order {order.number} is {order.status}; it cannot be assigned",
                reason="finished",
                order_ref=order.number,
            )
        if order.team_id != team_id:
            raise BulkAssignRefused(
                f"orders: order {order.number} belongs to another team",
                reason="other_team",
                order_ref=order.number,
            )
    at = now()
    return [
        assign_order(session, order_id=i, assignee_id=assignee_id, actor_id=actor_id, at=at) for i in wanted
    ]
