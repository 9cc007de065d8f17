"""Routing (type, category, product, region -> team) and assignment inside a team (least open load)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.orders.lifecycle import OPEN_STATUSES
from manyi.orders.models import RoutingRule, WorkOrder
from manyi.org.models import Region, User


def _region_chain(session: Session, code: str) -> list[str]:
    """The region and its ancestors, so a rule for a city also routes its districts."""
    chain: list[str] = []
    current: str | None = code
    while current and current not in chain:
        chain.append(current)
        region = session.get(Region, current)
        current = region.parent_code if region else None
    return chain


def route(session: Session, *, order: WorkOrder, category_path: str | None) -> RoutingRule | None:
    """Return the first active rule (by rank) that matches the order, or None."""
    regions = _region_chain(session, order.region_code)
    rules = session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.rank, RoutingRule.id)
    )
    for rule in rules:
        if rule.order_type and rule.order_type != order.type:
            continue
        if rule.product and rule.product != order.product:
            continue
        if rule.region_code and rule.region_code not in regions:
            continue
        if rule.category_path_prefix and not (category_path or "").startswith(rule.category_path_prefix):
            continue
        return rule
    return None


def least_loaded_member(session: Session, *, team_id: int, skill: str | None = None) -> User | None:
    """The active team member with the fewest open assigned orders (ties: lowest id), having skill."""
    load = (
        select(WorkOrder.assignee_id, func.count().label("n"))
        .where(WorkOrder.status.in_(OPEN_STATUSES), WorkOrder.team_id == team_id)
        .group_by(WorkOrder.assignee_id)
        .subquery()
    )
    rows = session.execute(
        select(User, func.coalesce(load.c.n, 0))
        .outerjoin(load, load.c.assignee_id == User.id)
        .where(User.team_id == team_id, User.active.is_(True))
        .order_by(func.coalesce(load.c.n, 0), User.id)
    ).all()
    for user, _n in rows:
        if skill is None or skill in (user.skills or []):
            return user
    return None
