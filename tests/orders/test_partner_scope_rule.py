"""The partner-scope rule, exhaustively, and its SQL clause against the rule on real rows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.orders.models import WorkOrder
from manyi.orders.partner_scope import PartnerScope, may_see, partner_scope, visible_clause
from manyi.orders.service import create_order
from manyi.org.organisations import create_organisation
from tests.fixtures.operator import Operator


@dataclass(frozen=True)
class Caller:
    organisation_id: int | None
    organisation_kind: str | None


def test_only_a_channel_partners_staff_are_scoped_by_organisation() -> None:
    assert partner_scope(Caller(7, "channel_partner")) == PartnerScope(7)
    for caller in (Caller(None, None), Caller(7, "contractor"), Caller(7, "own"), None):
        assert partner_scope(caller) is None


def test_a_partner_sees_what_its_organisation_created_or_was_given_nothing_else() -> None:
    values = (None, 7, 8)
    for created, given in itertools.product(values, values):
        assert may_see(None, created_by_org_id=created, partner_org_id=given)
        assert may_see(PartnerScope(7), created_by_org_id=created, partner_org_id=given) == (
            7 in (created, given)
        )


def test_the_sql_clause_selects_what_the_rule_allows(session: Session, operator: Operator) -> None:
    shop = create_organisation(session, name="西湖代销点", kind="channel_partner").id
    other = create_organisation(session, name="宁波代销点", kind="channel_partner").id
    orders = []
    for created, given in itertools.product((None, shop, other), repeat=2):
        order = create_order(
            session, type="inquiry", description="咨询", channel="partner", region_code="330106"
        )
        order.created_by_org_id, order.partner_org_id = created, given
        orders.append(order)
    session.flush()
    for scope in (None, PartnerScope(shop), PartnerScope(other)):
        found = set(session.scalars(select(WorkOrder.id).where(visible_clause(scope))))
        expected = {
            o.id
            for o in orders
            if may_see(scope, created_by_org_id=o.created_by_org_id, partner_org_id=o.partner_org_id)
        }
        assert found == expected
