"""Find orders for a person at a screen: by number, phone, service number or customer name, with the
list filters, inside the caller's regions, newest first, one page at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, false, select, union
from sqlalchemy.orm import Session

from manyi.core.masking import check_search
from manyi.customers.models import Customer, Subscription
from manyi.orders.models import WorkOrder
from manyi.orders.queries import Viewer, visible_orders
from manyi.org.reference import region_chain, region_index

PAGE_SIZE = 50
# A name or phone shared by more customers than this is not a search, it is a list: the first ones
# are enough to show, and the IN list stays small enough for the customer_id index.
MAX_CUSTOMERS = 200
ORDER_NUMBER = re.compile(r"^GD\d{8,}$", re.IGNORECASE)


@dataclass(frozen=True)
class OrderFilters:
    """What the list is narrowed to; every field is optional."""

    q: str = ""
    status: str | None = None
    type: str | None = None
    team_id: int | None = None
    region_code: str | None = None
    breached: bool | None = None

    @property
    def any(self) -> bool:
        return bool(self.q or self.status or self.type or self.team_id or self.region_code) or (
            self.breached is not None
        )


@dataclass
class OrderPage:
    orders: list[WorkOrder]
    offset: int
    has_next: bool
    customers: dict[int, Customer] = field(default_factory=dict)

    @property
    def has_prev(self) -> bool:
        return self.offset > 0


def _matching_customers(session: Session, q: str, *, pii: bool) -> list[int]:
    """Customers whose phone, name or one of whose subscriptions' service numbers is exactly q;
    without pii, neither phones nor mobile lines (whose service numbers are phone numbers)."""
    check_search(q, pii=pii)
    by_name = select(Customer.id).where(Customer.name == q)
    by_service = select(Subscription.customer_id).where(Subscription.service_number == q)
    if not pii:
        found = union(by_name, by_service.where(Subscription.product != "mobile")).limit(MAX_CUSTOMERS)
        return [row[0] for row in session.execute(found)]
    by_phone = select(Customer.id).where(Customer.phone == q)
    found = union(by_phone, by_name, by_service).limit(MAX_CUSTOMERS)
    return [row[0] for row in session.execute(found)]


def _regions(session: Session, region_code: str, viewer: Viewer) -> list[str]:
    """The region and its descendants, inside the caller's scope (a city covers its districts)."""
    codes = [code for code in region_index(session) if region_code in region_chain(session, code)]
    return [code for code in codes if viewer.regions is None or code in viewer.regions]


def search_orders(
    session: Session,
    *,
    filters: OrderFilters,
    viewer: Viewer,
    pii: bool = True,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> OrderPage:
    """Return one page of the caller's visible orders matching filters, newest first; pii=False (no
    pii:read) refuses a full phone or ID number as the search text (PiiSearchRefused).

    No total count: on a million orders an exact count of a loose filter costs more than the page;
    one row beyond the page tells whether there is a next one.
    """
    offset = max(0, offset)
    statement: Select[Any] = visible_orders(viewer)
    q = filters.q.strip()
    if q:
        if ORDER_NUMBER.match(q):
            statement = statement.where(WorkOrder.number == q.upper())
        else:
            customer_ids = _matching_customers(session, q, pii=pii)
            statement = statement.where(WorkOrder.customer_id.in_(customer_ids) if customer_ids else false())
    if filters.status:
        statement = statement.where(WorkOrder.status == filters.status)
    if filters.type:
        statement = statement.where(WorkOrder.type == filters.type)
    if filters.team_id:
        statement = statement.where(WorkOrder.team_id == filters.team_id)
    if filters.region_code:
        codes = _regions(session, filters.region_code, viewer)
        statement = statement.where(WorkOrder.region_code.in_(codes) if codes else false())
    if filters.breached is not None:
        statement = statement.where(WorkOrder.sla_breached.is_(filters.breached))
    statement = statement.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
    rows: list[WorkOrder] = list(session.scalars(statement.offset(offset).limit(limit + 1)))
    orders = rows[:limit]
    wanted = {o.customer_id for o in orders if o.customer_id}
    customers = (
        {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(wanted)))} if wanted else {}
    )
    return OrderPage(orders, offset, len(rows) > limit, customers)
