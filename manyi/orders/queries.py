"""The one "orders this caller may see" statement: every list, count and single-order load of a
caller's orders (API, console screens, statistics) starts from here, so a restriction is added
once, in `visible` (and its pure twin `may_see` for an order already loaded), and holds everywhere.
The restrictions: not deleted, inside the caller's regions, and for a channel partner's staff only
their organisation's orders (manyi.orders.partner_scope)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from manyi.auth.service import Principal, scope_regions
from manyi.orders.models import WorkOrder
from manyi.orders.partner_scope import PartnerScope, may_see_order, partner_scope, visible_clause


@dataclass(frozen=True)
class Viewer:
    """Whose view of the orders: the region codes they may see (None: every region, as for a
    caller without regions), whether deleted orders count (only history and audits want them) and
    the channel partner organisation whose orders alone they see (None: not limited by organisation)."""

    regions: frozenset[str] | None
    include_deleted: bool = False
    partner: PartnerScope | None = None


EVERYONE = Viewer(regions=None)


def viewer_of(session: Session, principal: Principal) -> Viewer:
    """The viewer an authenticated caller is: its regions and their descendants, and its
    organisation's orders only when it is a channel partner's staff."""
    return Viewer(regions=scope_regions(session, principal), partner=partner_scope(principal))


def visible(viewer: Viewer) -> list[ColumnElement[bool]]:
    """The conditions on WorkOrder that keep the viewer's orders (the one copy of this rule)."""
    conditions: list[ColumnElement[bool]] = []
    if not viewer.include_deleted:
        conditions.append(WorkOrder.deleted_at.is_(None))
    if viewer.regions is not None:
        regions = sorted(viewer.regions)
        conditions.append(WorkOrder.region_code.in_(regions) if regions else false())
    if viewer.partner is not None:
        conditions.append(visible_clause(viewer.partner))
    return conditions


def may_see(viewer: Viewer, order: Any) -> bool:
    """`visible` for an order already loaded (a WorkOrder or a row with the same columns): the checks
    that read a loaded order against the viewer use this, never a copy of the rule."""
    if not viewer.include_deleted and order.deleted_at is not None:
        return False
    if viewer.regions is not None and order.region_code not in viewer.regions:
        return False
    return may_see_order(viewer.partner, order)


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
