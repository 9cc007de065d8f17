"""The demo's channel partner and contractor at work: the partner's own orders and those given to
it, and the contractor crew's promise in the install policy (seed 004)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.demo.organisation import DemoOrg
from manyi.orders.lifecycle import OPEN_STATUSES
from manyi.orders.models import WorkOrder
from manyi.orders.partner_orders import give_to_partner
from manyi.org.reference import region_chain, region_index
from manyi.sla.models import SlaPolicy, SlaTarget

GIVEN = 10  # open installs of the partner's city the back office hands to it to follow up


def demo_partner_orders(session: Session, org: DemoOrg) -> None:
    """Orders taken through the partner channel in its city are the partner's; a few others are
    given to it, each with its history event."""
    assert org.shop is not None and org.shop_city is not None
    city = org.shop_city.code
    codes = [code for code in region_index(session) if city in region_chain(session, code)]
    session.execute(
        update(WorkOrder)
        .where(WorkOrder.channel == "partner", WorkOrder.region_code.in_(codes))
        .values(created_by_org_id=org.shop.id)
    )
    given = session.scalars(
        select(WorkOrder.id)
        .where(
            WorkOrder.type == "install",
            WorkOrder.channel != "partner",
            WorkOrder.region_code.in_(codes),
            WorkOrder.status.in_(OPEN_STATUSES),
        )
        .order_by(WorkOrder.id)
        .limit(GIVEN)
    )
    for order_id in list(given):
        give_to_partner(
            session, order_id=order_id, organisation_id=org.shop.id, actor_id=None, reason="代销点跟进装机"
        )
    session.flush()


def demo_contractor_promise(session: Session, org: DemoOrg) -> None:
    """Seed 004: 铁通 had promised 15 days; the operator makes it the same 3 natural days as its own
    crews. The install policy says so explicitly for the contractor's crews."""
    assert org.contractor is not None
    policy = session.scalars(select(SlaPolicy).where(SlaPolicy.name == "装机 install")).first()
    if policy is None:
        return
    session.add(
        SlaTarget(
            policy_id=policy.id,
            kind="resolution",
            amount=3,
            unit="natural_days",
            organisation_id=org.contractor.id,
        )
    )
    session.flush()
