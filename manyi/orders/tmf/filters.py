"""Which TroubleTicket attributes lists filter and sort on, mapped to indexed work_order columns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select

from manyi.api.query import Attribute, ListQuery, apply, order_by, parse_bool, parse_datetime, parse_int
from manyi.auth.deps import Ctx
from manyi.categories.models import Category
from manyi.core.limits import is_whole_number
from manyi.orders.models import WorkOrder
from manyi.orders.queries import viewer_of, visible
from manyi.org.models import User
from manyi.org.reference import region_chain, region_index


def _party(op: str, values: tuple[Any, ...]) -> ColumnElement[bool]:
    """relatedParty.id: a customer id, or the user name of the owner or assignee."""
    clauses: list[ColumnElement[bool]] = []
    for value in values:
        if is_whole_number(value, low=1):
            clauses.append(WorkOrder.customer_id == int(value))
        user_ids = select(User.id).where(User.username == value).scalar_subquery()
        clauses.append(WorkOrder.owner_id == user_ids)
        clauses.append(WorkOrder.assignee_id == user_ids)
    return or_(*clauses) if clauses else false()


def _category(op: str, values: tuple[Any, ...]) -> ColumnElement[bool]:
    """A category code and its sub-categories."""
    prefixes = [select(Category.path).where(Category.code == v).scalar_subquery() for v in values]
    ids = select(Category.id).where(
        or_(*(or_(Category.path == p, Category.path.startswith(p + "/")) for p in prefixes))
    )
    return WorkOrder.category_id.in_(ids)


ATTRIBUTES: dict[str, Attribute] = {
    "id": Attribute(WorkOrder.number),
    "status": Attribute(WorkOrder.status),
    "ticketType": Attribute(WorkOrder.type),
    "severity": Attribute(WorkOrder.severity),
    "priority": Attribute(WorkOrder.priority, parse=parse_int, comparable=True),
    "name": Attribute(WorkOrder.title),
    "externalId": Attribute(WorkOrder.external_id),
    "channel.id": Attribute(WorkOrder.channel),
    "creationDate": Attribute(WorkOrder.created_at, parse=parse_datetime, comparable=True),
    "lastUpdate": Attribute(WorkOrder.updated_at, parse=parse_datetime, comparable=True),
    "resolutionDate": Attribute(WorkOrder.resolved_at, parse=parse_datetime, comparable=True),
    "stage": Attribute(WorkOrder.stage),
    "team.id": Attribute(WorkOrder.team_id, parse=parse_int),
    "slaBreached": Attribute(WorkOrder.sla_breached, parse=parse_bool),
    "relatedParty.id": Attribute(WorkOrder.customer_id, custom=_party),
    "category.id": Attribute(WorkOrder.category_id, custom=_category),
    "region.id": Attribute(WorkOrder.region_code),  # custom per request, see scoped()
}


def scoped(c: Ctx, statement: Select[Any], query: ListQuery, *, sort: bool = True) -> Select[Any]:
    """The caller's visible, not deleted orders, filtered (and sorted) as the query asks."""
    index = region_index(c.session)

    def region(op: str, values: tuple[Any, ...]) -> ColumnElement[bool]:
        codes = [code for code in index if set(values).intersection(region_chain(c.session, code))]
        return WorkOrder.region_code.in_(codes) if codes else false()

    attributes = {**ATTRIBUTES, "region.id": Attribute(WorkOrder.region_code, custom=region)}
    statement = statement.where(*visible(viewer_of(c.session, c.principal)))
    statement = apply(statement, attributes, query)
    if sort:
        if not query.sort:
            query.sort = [("creationDate", True)]
        statement = order_by(statement, attributes, query, WorkOrder.id)
    return statement
