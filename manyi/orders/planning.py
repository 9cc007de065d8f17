"""Planning a new order before it exists: the checked request, the team routing gives it and the
SLA clocks its policy starts. create_order inserts the plan; the deadline preview only shows it;
the bulk writer builds the same draft for routing, policy and calendar choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from manyi.categories.tree import CategoryInfo
from manyi.orders.requests import check_request
from manyi.orders.routing import route
from manyi.sla.service import ClockPlan, plan_clocks


@dataclass
class OrderDraft:
    """The fields of a not-yet-created order that routing, policy and calendar choice read."""

    type: str
    channel: str
    priority: int
    region_code: str
    product: str | None
    customer_id: int | None
    category_id: int | None
    team_id: int | None = None


@dataclass(frozen=True)
class OrderPlan:
    """What a new order gets: its category and product (checked), its team and its SLA clocks."""

    category: CategoryInfo | None
    product: str | None
    team_id: int | None
    clocks: ClockPlan


def plan_order(
    session: Session,
    *,
    type: str,
    channel: str,
    region_code: str,
    priority: int,
    category_code: str | None,
    customer_id: int | None,
    subscription_id: int | None,
    at: datetime,
) -> OrderPlan:
    """Check the request, route it and plan its clocks at `at`; write nothing."""
    checked = check_request(
        session,
        type=type,
        priority=priority,
        region_code=region_code,
        category_code=category_code,
        customer_id=customer_id,
        subscription_id=subscription_id,
    )
    category, product = checked.category, checked.product
    draft = OrderDraft(
        type=type,
        channel=channel,
        priority=priority,
        region_code=region_code,
        product=product,
        customer_id=customer_id,
        category_id=category.id if category else None,
    )
    # The team matters: a policy without a calendar runs on the team's calendar (calendar_for).
    rule = route(session, order=draft, category_path=category.path if category else None)
    draft.team_id = rule.team_id if rule is not None else None
    return OrderPlan(category, product, draft.team_id, plan_clocks(session, order=draft, at=at))
