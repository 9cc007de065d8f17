"""Routing (type, category, product, region -> team) and assignment inside a team (least open load)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.refdata import cached
from manyi.orders.lifecycle import OPEN_STATUSES
from manyi.orders.models import RoutingRule, WorkOrder
from manyi.org.models import User
from manyi.org.reference import region_chain


class Routable(Protocol):
    type: str
    product: str | None
    region_code: str


@dataclass(frozen=True)
class Rule:
    """A routing rule as plain data, cached between orders."""

    id: int
    team_id: int
    order_type: str | None
    product: str | None
    region_code: str | None
    category_path_prefix: str | None


def _load_rules(session: Session) -> list[Rule]:
    rows = session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True)).order_by(RoutingRule.rank, RoutingRule.id)
    )
    return [
        Rule(r.id, r.team_id, r.order_type, r.product, r.region_code, r.category_path_prefix) for r in rows
    ]


def route(session: Session, *, order: Routable, category_path: str | None) -> Rule | None:
    """Return the first active rule (by rank) that matches the order, or None."""
    regions = region_chain(session, order.region_code)
    for rule in cached(session, "routing_rules", _load_rules):
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
