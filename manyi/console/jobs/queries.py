"""A field technician's day: the on-site orders assigned to them, in route order (the job page's
one-tap actions are manyi.orders.flows).

Indexes: ix_work_orders_assignee_id narrows to one technician's orders (tens, not millions);
customers and subscriptions are fetched by primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi.core.clock import now, zone
from manyi.core.errors import NotFound
from manyi.core.settings import get_settings
from manyi.customers.models import Customer, Subscription
from manyi.orders import lifecycle
from manyi.orders.models import WorkOrder
from manyi.orders.queries import Viewer, visible, visible_order

PAGE_SIZE = 50


@dataclass(frozen=True)
class Job:
    order: WorkOrder
    address: str | None
    customer_name: str | None
    customer_phone: str | None
    district: str  # region code: jobs without a booked time are grouped by district, then address


def day_bounds(at: datetime) -> tuple[datetime, datetime]:
    """Start and end of at's local day (the operator's time zone), as aware instants."""
    tz = zone(get_settings().default_timezone)
    start = datetime.combine(at.astimezone(tz).date(), time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def todays_jobs(
    session: Session,
    *,
    assignee_id: int,
    viewer: Viewer,
    at: datetime | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[Job]:
    """Open on-site jobs of a technician: today's appointments by time, then those without one
    (by district and address). Returns up to limit + 1 jobs, so a page knows there is more."""
    start, end = day_bounds(at or now())
    statement = (
        select(WorkOrder, Subscription.address, Customer.name, Customer.phone)
        .outerjoin(Subscription, Subscription.id == WorkOrder.subscription_id)
        .outerjoin(Customer, Customer.id == WorkOrder.customer_id)
        .where(
            WorkOrder.assignee_id == assignee_id,
            *visible(viewer),
            WorkOrder.status.in_(lifecycle.OPEN_STATUSES),
            WorkOrder.type.in_(sorted(lifecycle.ON_SITE_TYPES)),
            or_(
                WorkOrder.appointment_at.is_(None),
                (WorkOrder.appointment_at >= start) & (WorkOrder.appointment_at < end),
            ),
        )
    )
    statement = statement.order_by(
        WorkOrder.appointment_at.is_(None),  # booked visits first (False sorts before True)
        WorkOrder.appointment_at,
        WorkOrder.region_code,
        Subscription.address,
        WorkOrder.id,
    )
    rows = session.execute(statement.offset(offset).limit(limit + 1)).all()
    return [Job(order, address, name, phone, order.region_code) for order, address, name, phone in rows]


def get_job(session: Session, *, order_id: int, assignee_id: int, viewer: Viewer) -> WorkOrder:
    """The technician's own open on-site job, or NotFound (someone else's job looks missing)."""
    order = visible_order(session, viewer, order_id=order_id)
    if order is None or order.assignee_id != assignee_id:
        raise NotFound(f"job {order_id} does not exist or is not yours")
    return order
