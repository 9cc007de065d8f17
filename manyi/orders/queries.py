"""The one "orders this caller may see" statement: every list, count and single-order load of a
caller's orders (API, console screens, statistics) starts from here, so a new restriction (such
as a channel partner's own organisation) is added once, in `visible`, and holds everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from manyi.auth.service import Principal, scope_regions
from manyi.orders.models import WorkOrder


@dataclass(frozen=True)
class Viewer:
    """Whose view of the orders: the region codes they may see (None: every region, as for a
    caller without regions) and whether deleted orders count (only history and audits want them)."""

    regions: frozenset[str] | None
    include_deleted: bool = False


EVERYONE = Viewer(regions=None)


def viewer_of(session: Session, principal: Principal) -> Viewer:
    """The viewer an authenticated caller is: its regions and their descendants."""
    return Viewer(regions=scope_regions(session, principal))


def visible(viewer: Viewer) -> list[ColumnElement[bool]]:
    """The conditions on WorkOrder that keep the viewer's orders (the one copy of this rule)."""
    conditions: list[ColumnElement[bool]] = []
    if not viewer.include_deleted:
        conditions.append(WorkOrder.deleted_at.is_(None))
    if viewer.regions is not None:
        regions = sorted(viewer.regions)
        conditions.append(WorkOrder.region_code.in_(regions) if regions else false())
    return conditions


def visible_orders(viewer: Viewer, *columns: Any) -> Select[Any]:
    """SELECT the viewer's orders (or the given columns of them)."""
    return select(*(columns or (WorkOrder,))).where(*visible(viewer))


def visible_order(
    session: Session, viewer: Viewer, *, order_id: int | None = None, number: str | None = None
) -> WorkOrder | None:
    """The order with this id or number if the viewer may see it; None when missing or hidden, so a
    caller cannot tell an order outside its scope from one that does not exist."""
    statement = visible_orders(viewer)
    if order_id is not None:
        statement = statement.where(WorkOrder.id == order_id)
    elif number is not None:
        statement = statement.where(WorkOrder.number == number)
    else:
        return None
    return session.scalars(statement).first()
