"""Work queues for the agent workbench: my open orders (首问责任), my team's open orders, a customer's
open and recent orders; each row with the SLA clock that is due first.

"Time left" is the earliest due instant of the order's running clocks. Orders without a running
clock (paused, or no SLA policy) come after all timed ones, oldest first. Queues are paged with
offset/limit and a look-ahead row instead of a count: counting a big team's backlog on every page
view would cost more than the page itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from manyi.categories.models import Category
from manyi.orders.lifecycle import OPEN_STATUSES
from manyi.orders.models import WorkOrder
from manyi.orders.queries import Viewer, visible, visible_orders
from manyi.sla.models import SlaClock

PAGE_SIZE = 50


@dataclass(frozen=True)
class ClockGlimpse:
    """The clock a list row shows: the running one due first, else a paused one."""

    kind: str
    state: str  # running | paused
    due_at: datetime
    warn_at: datetime
    unit: str
    breached: bool


@dataclass(frozen=True)
class QueueRow:
    order: WorkOrder
    clock: ClockGlimpse | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    offset: int
    limit: int
    has_next: bool


def _running_clock_of(order_id: Any) -> ColumnElement[bool]:
    return select(SlaClock.id).where(SlaClock.order_id == order_id, SlaClock.state == "running").exists()


def _open_conditions(viewer: Viewer, *criteria: ColumnElement[bool]) -> list[Any]:
    return [*visible(viewer), WorkOrder.status.in_(OPEN_STATUSES), *criteria]


def _queue(session: Session, conditions: list[Any], *, offset: int, limit: int) -> QueuePage:
    offset, limit = max(0, offset), max(1, limit)
    clock, other = aliased(SlaClock), aliased(SlaClock)
    # One row per order: its earliest running clock (no running clock of the same order is due
    # before it). Walking running clocks by due_at stops after offset+limit rows.
    earlier = (
        select(other.id)
        .where(
            other.order_id == clock.order_id,
            other.state == "running",
            or_(other.due_at < clock.due_at, and_(other.due_at == clock.due_at, other.id < clock.id)),
        )
        .exists()
    )
    timed = list(
        session.scalars(
            select(WorkOrder.id)
            .join(clock, clock.order_id == WorkOrder.id)
            .where(*conditions, clock.state == "running", ~earlier)
            .order_by(clock.due_at, clock.id)
            .offset(offset)
            .limit(limit + 1)
        )
    )
    ids = timed
    if len(timed) <= limit:
        # The timed orders ran out on this page: fill it with the untimed ones.
        if timed or offset == 0:
            timed_total = offset + len(timed)
        else:
            timed_total = int(
                session.scalar(
                    select(func.count())
                    .select_from(WorkOrder)
                    .where(*conditions, _running_clock_of(WorkOrder.id))
                )
                or 0
            )
        untimed = session.scalars(
            select(WorkOrder.id)
            .where(*conditions, ~_running_clock_of(WorkOrder.id))
            .order_by(WorkOrder.created_at, WorkOrder.id)
            .offset(max(0, offset - timed_total))
            .limit(limit + 1 - len(timed))
        )
        ids = [*timed, *untimed]
    page_ids = ids[:limit]
    return QueuePage(_rows(session, page_ids), offset, limit, has_next=len(ids) > limit)


def _rows(session: Session, order_ids: list[int]) -> list[QueueRow]:
    if not order_ids:
        return []
    orders = {o.id: o for o in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids)))}
    clocks = shown_clocks(session, order_ids)
    return [QueueRow(orders[i], clocks.get(i)) for i in order_ids if i in orders]


def shown_clocks(session: Session, order_ids: Collection[int]) -> dict[int, ClockGlimpse]:
    """For each order, the running clock due first, else its paused clock due first (one query)."""
    if not order_ids:
        return {}
    found: dict[int, ClockGlimpse] = {}
    statement = (
        select(SlaClock)
        .where(SlaClock.order_id.in_(list(order_ids)), SlaClock.state.in_(("running", "paused")))
        .order_by(SlaClock.order_id, SlaClock.due_at, SlaClock.id)
    )
    for c in session.scalars(statement):
        shown = found.get(c.order_id)
        if shown is None or (shown.state == "paused" and c.state == "running"):
            found[c.order_id] = ClockGlimpse(c.kind, c.state, c.due_at, c.warn_at, c.unit, c.breached)
    return found


def my_orders(
    session: Session,
    *,
    owner_id: int,
    viewer: Viewer,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """Open orders this user owns by first responsibility, the one due first on top."""
    return _queue(
        session, _open_conditions(viewer, WorkOrder.owner_id == owner_id), offset=offset, limit=limit
    )


def team_queue(
    session: Session,
    *,
    team_id: int,
    viewer: Viewer,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """Open orders routed to this team, the one due first on top."""
    return _queue(session, _open_conditions(viewer, WorkOrder.team_id == team_id), offset=offset, limit=limit)


def customer_open_orders(
    session: Session, *, customer_id: int, viewer: Viewer, limit: int = PAGE_SIZE
) -> list[QueueRow]:
    """A customer's open orders, newest first, each with the clock due first."""
    ids = list(
        session.scalars(
            select(WorkOrder.id)
            .where(*_open_conditions(viewer, WorkOrder.customer_id == customer_id))
            .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
            .limit(limit)
        )
    )
    return _rows(session, ids)


def customer_recent_orders(
    session: Session,
    *,
    customer_id: int,
    viewer: Viewer,
    since: datetime,
    limit: int = 100,
) -> list[WorkOrder]:
    """The customer's orders created since `since` (any status), newest first."""
    statement = visible_orders(viewer).where(
        WorkOrder.customer_id == customer_id,
        WorkOrder.created_at >= since,
    )
    return list(
        session.scalars(statement.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(limit))
    )


@dataclass(frozen=True)
class CategoryOption:
    code: str
    name: str
    name_en: str | None
    depth: int  # 0 for a top class, 1 for its children, …


def category_options(session: Session) -> list[CategoryOption]:
    """Active categories in tree order (a parent, then its children), for the new-order picker."""
    rows = session.scalars(select(Category).where(Category.active.is_(True)))
    # Sorted here, by path segments: a database collation may ignore the "/" separators.
    ordered = sorted(rows, key=lambda c: c.path.split("/"))
    return [CategoryOption(c.code, c.name, c.name_en, c.path.count("/")) for c in ordered]
