"""Orders awaiting their region (triage): a ticket sent by a caller who works in several regions, has
no default and names neither a region nor a customer waits in the triage region
(manyi.org.default_region) until a dispatcher sets the region it belongs to. Flush, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manyi.categories.tree import category_by_id
from manyi.core.clock import ensure_aware, now
from manyi.core.errors import Conflict, StaleVersion, ValidationFailed
from manyi.orders import lifecycle
from manyi.orders.history import record_event
from manyi.orders.hooks import order_changed
from manyi.orders.models import WorkOrder
from manyi.orders.queries import Viewer, visible_orders
from manyi.orders.routing import route
from manyi.orders.service import get_order
from manyi.org.reference import region_index


def pending_orders(session: Session, *, viewer: Viewer, offset: int = 0, limit: int = 50) -> list[WorkOrder]:
    """The viewer's orders awaiting their region, oldest first (limit + 1 tell of more)."""
    statement = visible_orders(viewer).where(WorkOrder.region_pending.is_(True))
    return list(
        session.scalars(
            statement.order_by(WorkOrder.created_at, WorkOrder.id).offset(offset).limit(limit + 1)
        )
    )


def place_order(
    session: Session,
    *,
    order_id: int,
    region_code: str,
    actor_id: int | None = None,
    scope: frozenset[str] | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Set the region of an order awaiting it; an open, unassigned order is routed again for it.

    scope: the regions the dispatcher may work in (None: all); the new region must be one of them.
    The SLA clocks keep running as they started: the customer has waited since the request."""
    at = ensure_aware(at or now(), field="at")
    order = get_order(session, order_id=order_id)
    if expected_version is not None and expected_version != order.version:
        raise StaleVersion(f"work order {order.number} was changed by someone else")
    if not order.region_pending:
        raise Conflict(
            f"region: work order {order.number} already has its region ({order.region_code}); "
            "only an order awaiting its region can be placed",
            field="region",
        )
    if region_code not in region_index(session):
        raise ValidationFailed(f"region: unknown region {region_code!r}", field="region")
    if scope is not None and region_code not in scope:
        raise ValidationFailed(
            f"region: {region_code} is outside the regions you may work in", field="region"
        )
    changes: dict[str, tuple[Any, Any]] = {
        "region_code": (order.region_code, region_code),
        "region_pending": (True, False),
    }
    order.region_code, order.region_pending = region_code, False
    if order.status in lifecycle.OPEN_STATUSES and order.assignee_id is None:
        category = category_by_id(session, order.category_id) if order.category_id else None
        rule = route(session, order=order, category_path=category.path if category else None)
        if rule is not None and rule.team_id != order.team_id:
            changes["team_id"] = (order.team_id, rule.team_id)
            order.team_id = rule.team_id
    order.updated_at = at
    record_event(session, order=order, action="placed", at=at, actor_id=actor_id, changes=changes)
    session.flush()
    order_changed(session, order, "attributes", changes)
    return order
