"""Routing (type, category, product, region -> team) and assignment inside a team (least open load)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.categories.models import Category
from manyi.core.errors import NotFound, ValidationFailed
from manyi.core.refdata import cached
from manyi.customers.models import PRODUCTS
from manyi.orders.lifecycle import OPEN_STATUSES, ORDER_TYPES
from manyi.orders.models import RoutingRule, WorkOrder
from manyi.org.models import Team, User
from manyi.org.reference import region_chain, region_index


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


def open_load(session: Session, *, user_ids: Collection[int]) -> dict[int, int]:
    """Each user's open load: the live (not deleted) orders assigned to them in an open status, in any
    team, paused ones (pending, held) included; users with none are left out.

    The one definition for least-loaded assignment and the dispatcher board. Every team counts: orders
    a member still holds from a team they left are still theirs to finish, so leaving them out would
    hand more work to the busiest and show the dispatcher a number lower than the truth. Paused orders
    count: the customer or a third party will answer and the same person picks the order up again.
    Deleted orders are no one's work."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(WorkOrder.assignee_id, func.count())
        .where(
            WorkOrder.assignee_id.in_(sorted(set(user_ids))),
            WorkOrder.deleted_at.is_(None),
            WorkOrder.status.in_(OPEN_STATUSES),
        )
        .group_by(WorkOrder.assignee_id)
    )
    return {user_id: int(n) for user_id, n in rows.all() if user_id is not None}


def least_loaded_member(session: Session, *, team_id: int, skill: str | None = None) -> User | None:
    """The active team member with the least open load (open_load; ties: lowest id), having skill."""
    members = [
        user
        for user in session.scalars(
            select(User).where(User.team_id == team_id, User.active.is_(True)).order_by(User.id)
        )
        if skill is None or skill in (user.skills or [])
    ]
    if not members:
        return None
    load = open_load(session, user_ids=[u.id for u in members])
    return min(members, key=lambda u: (load.get(u.id, 0), u.id))


def check_assignee(assignee_id: int, *, active: bool, member_of: int | None, team_id: int | None) -> None:
    """Refuse an assignee who is not an active member of the order's current team (team_id); member_of
    is the assignee's own team, active False for an unknown or inactive user."""
    if not active:
        raise ValidationFailed(f"assignee: unknown or inactive user id {assignee_id}", field="assignee")
    if team_id is None:
        raise ValidationFailed(
            "assignee: the order has no team to choose a member of; transfer it to a team first",
            field="assignee",
        )
    if member_of != team_id:
        raise ValidationFailed(
            f"assignee: expected an active member of team {team_id}, the order's team; "
            f"user {assignee_id} is not one",
            field="assignee",
        )


RULE_FIELDS = frozenset(
    {
        "rank",
        "order_type",
        "category_path_prefix",
        "product",
        "region_code",
        "team_id",
        "required_skill",
        "active",
    }
)


def get_rule(session: Session, *, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"routing rule {rule_id} does not exist")
    return rule


def _check_rule(session: Session, values: Mapping[str, Any]) -> None:
    unknown = set(values) - RULE_FIELDS
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: not a routing rule field", field=sorted(unknown)[0])
    if values.get("order_type") is not None and values["order_type"] not in ORDER_TYPES:
        raise ValidationFailed(
            f"orderType: expected one of {', '.join(ORDER_TYPES)}, got {values['order_type']!r}",
            field="orderType",
        )
    if values.get("product") is not None and values["product"] not in PRODUCTS:
        raise ValidationFailed(
            f"product: expected one of {', '.join(PRODUCTS)}, got {values['product']!r}", field="product"
        )
    if values.get("region_code") is not None and values["region_code"] not in region_index(session):
        raise ValidationFailed(
            f"regionCode: unknown region code {values['region_code']!r}", field="regionCode"
        )
    path = values.get("category_path_prefix")
    if path is not None and session.scalars(select(Category.id).where(Category.path == path)).first() is None:
        raise ValidationFailed(
            f"categoryPath: {path!r} is not the path of a category (e.g. NET or NET/NET.BB)",
            field="categoryPath",
        )
    if "team_id" in values and (values["team_id"] is None or session.get(Team, values["team_id"]) is None):
        raise ValidationFailed(f"team: unknown team id {values['team_id']}", field="team")


def create_rule(
    session: Session,
    *,
    team_id: int,
    rank: int = 100,
    order_type: str | None = None,
    category_path_prefix: str | None = None,
    product: str | None = None,
    region_code: str | None = None,
    required_skill: str | None = None,
    active: bool = True,
) -> RoutingRule:
    """Route orders matching the given criteria (null: any) to a team; the lowest rank wins."""
    values = {
        "team_id": team_id,
        "rank": rank,
        "order_type": order_type,
        "category_path_prefix": category_path_prefix,
        "product": product,
        "region_code": region_code,
        "required_skill": required_skill,
        "active": active,
    }
    _check_rule(session, values)
    rule = RoutingRule(**values)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, *, rule_id: int, changes: Mapping[str, Any]) -> RoutingRule:
    """Change a rule; orders already routed stay where they are."""
    rule = get_rule(session, rule_id=rule_id)
    _check_rule(session, changes)
    for key, value in changes.items():
        setattr(rule, key, value)
    session.flush()
    return rule


def delete_rule(session: Session, *, rule_id: int) -> None:
    session.delete(get_rule(session, rule_id=rule_id))
    session.flush()
