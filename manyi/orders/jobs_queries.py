"""A field technician's day: the on-site orders assigned to them, in route order, and the three
one-tap actions of the job page (arrived, customer not home, done).

Indexes: ix_work_orders_assignee_id narrows to one technician's orders (tens, not millions);
customers and subscriptions are fetched by primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi.core.clock import now, zone
from manyi.core.errors import NotFound, ValidationFailed
from manyi.core.limits import RESOLUTION_MAX
from manyi.core.settings import get_settings
from manyi.customers.models import Customer, Subscription
from manyi.orders import lifecycle
from manyi.orders.models import WorkOrder
from manyi.orders.resolutions import check_on_site_resolution
from manyi.orders.service import transition_order

PAGE_SIZE = 50
NOT_HOME = "customer not home"


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
    scope: frozenset[str] | None,
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
            WorkOrder.deleted_at.is_(None),
            WorkOrder.status.in_(lifecycle.OPEN_STATUSES),
            WorkOrder.type.in_(sorted(lifecycle.ON_SITE_TYPES)),
            or_(
                WorkOrder.appointment_at.is_(None),
                (WorkOrder.appointment_at >= start) & (WorkOrder.appointment_at < end),
            ),
        )
    )
    if scope is not None:
        statement = statement.where(WorkOrder.region_code.in_(sorted(scope)))
    statement = statement.order_by(
        WorkOrder.appointment_at.is_(None),  # booked visits first (False sorts before True)
        WorkOrder.appointment_at,
        WorkOrder.region_code,
        Subscription.address,
        WorkOrder.id,
    )
    rows = session.execute(statement.offset(offset).limit(limit + 1)).all()
    return [Job(order, address, name, phone, order.region_code) for order, address, name, phone in rows]


def get_job(session: Session, *, order_id: int, assignee_id: int, scope: frozenset[str] | None) -> WorkOrder:
    """The technician's own open on-site job, or NotFound (someone else's job looks missing)."""
    order = session.get(WorkOrder, order_id)
    if (
        order is None
        or order.deleted_at is not None
        or order.assignee_id != assignee_id
        or (scope is not None and order.region_code not in scope)
    ):
        raise NotFound(f"job {order_id} does not exist or is not yours")
    return order


def job_arrived_flow(session: Session, *, order: WorkOrder, actor_id: int, note: str = "") -> WorkOrder:
    """The technician is at the customer's premises (a note says why when long before the appointment)."""
    return transition_order(
        session, order_id=order.id, action="arrive", actor_id=actor_id, reason=note.strip() or None
    )


def job_not_home_flow(session: Session, *, order: WorkOrder, actor_id: int, text: str = "") -> WorkOrder:
    """Log a failed visit: a contact attempt noted "customer not home" (plus what the technician adds)."""
    extra = text.strip()
    reason = f"{NOT_HOME}: {extra}" if extra else NOT_HOME
    return transition_order(
        session, order_id=order.id, action="contact_failed", actor_id=actor_id, reason=reason
    )


def job_done_flow(
    session: Session, *, order: WorkOrder, actor_id: int, resolution_code: str, notes: str = ""
) -> WorkOrder:
    """Finish the job on site with a resolution code and the technician's notes."""
    check_on_site_resolution(resolution_code)
    if len(notes) > RESOLUTION_MAX:
        raise ValidationFailed(f"notes: expected at most {RESOLUTION_MAX} characters", field="notes")
    return transition_order(
        session,
        order_id=order.id,
        action="resolve",
        actor_id=actor_id,
        resolution_code=resolution_code,
        resolution=notes.strip() or None,
    )
