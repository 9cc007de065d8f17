"""A small demo operator: real divisions, staff, customers, and orders whose histories are realistic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from manyi.auth.service import issue_token, principal_for_token
from manyi.console.orders.search import OrderFilters, search_orders
from manyi.core.crypto import decrypt, keyed_hash
from manyi.customers.models import Customer, CustomerEvent
from manyi.demo.generator import generate, has_orders
from manyi.orders.models import OrderCallback, OrderContact, OrderEvent, WorkOrder
from manyi.orders.partner_scope import PartnerScope
from manyi.orders.queries import viewer_of
from manyi.orders.resolutions import RESOLUTION_CODES
from manyi.org.models import Organisation, Region, User
from manyi.org.passwords import verify_password
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock

# The demo is generated relative to now; pin now to a Wednesday afternoon so what is open, due and
# breached does not depend on the hour the suite happens to run (at 04:00 nothing is due yet).
WEDNESDAY_AFTERNOON = datetime(2026, 11, 18, 15, 0, tzinfo=timezone(timedelta(hours=8)))


@time_machine.travel(WEDNESDAY_AFTERNOON, tick=True)
def test_demo_operator(engine: Engine) -> None:
    assert not has_orders()
    report = generate(customers=300, orders=400, seed=7)
    assert has_orders()
    with Session(engine) as s:
        assert s.get(Region, "330106").name == "西湖区"  # type: ignore[union-attr]
        assert s.get(Region, "330100").name == "杭州市"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(User)) == report.staff >= 45
        admin = s.scalars(select(User).where(User.username == "admin")).one()
        assert verify_password(admin.password_hash, "manyi-demo")
        customer = s.scalars(select(Customer).limit(1)).one()
        assert customer.id_number_hash == keyed_hash(decrypt(customer.id_number_encrypted or ""))
        by_status = dict(s.execute(select(WorkOrder.status, func.count()).group_by(WorkOrder.status)).all())
        assert sum(by_status.values()) == 400
        assert (
            by_status["closed"] > 200
            and by_status.get("acknowledged", 0) + by_status.get("inProgress", 0) > 0
        )
        assert s.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.reopen_count > 0)) > 0
        # Work goes only to members of the order's team, resolved with the codes staff are offered.
        assigned = s.execute(
            select(WorkOrder.team_id, User.team_id).join(User, User.id == WorkOrder.assignee_id)
        ).all()
        assert assigned and all(order_team == member_of for order_team, member_of in assigned)
        codes = set(
            s.scalars(select(WorkOrder.resolution_code).where(WorkOrder.resolution_code.is_not(None)))
        )
        assert codes and codes <= set(RESOLUTION_CODES)
        assert s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action == "pause")) > 0
        # The closed loop: closed complaints have their callback, by a callback seat, never the resolver.
        seats = set(s.scalars(select(User.id).where(User.username.like("callback%"))))
        complaints = select(WorkOrder.id).where(WorkOrder.type == "complaint", WorkOrder.status == "closed")
        closed = set(s.scalars(complaints))
        called = dict(
            s.execute(
                select(OrderCallback.order_id, OrderCallback.actor_id).where(
                    OrderCallback.order_id.in_(complaints)
                )
            ).all()
        )
        assert closed and set(called) == closed and set(called.values()) <= seats
        results = set(s.scalars(select(OrderCallback.result)))
        assert {"satisfied", "basically_satisfied", "unsatisfied"} <= results
        outcomes = set(s.scalars(select(OrderContact.outcome)))
        assert outcomes == {"reached", "not_reached", "wrong_number"}
        # Listed customers: who listed them and why is in their history.
        listed = set(s.scalars(select(Customer.id).where(Customer.list_flag.is_not(None))))
        flagged = set(s.scalars(select(CustomerEvent.customer_id).where(CustomerEvent.note.is_not(None))))
        assert listed and listed == flagged
        breached = (
            s.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.breached.is_(True))) or 0
        )
        met = s.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.state == "met")) or 0
        assert 0 < breached < met  # most on time, some breached
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) > 0
        # Seed 004's install pipeline: the back office extracts, the crew's installation task starts
        # then; faults book no appointment clock. Every decided clock names the team credited with it
        # (demo orders stay with their team, so the order's).
        kinds = dict(
            s.execute(
                select(SlaClock.kind, func.count())
                .join(WorkOrder, WorkOrder.id == SlaClock.order_id)
                .where(WorkOrder.type.in_(("install", "move")))
                .group_by(SlaClock.kind)
            ).all()
        )
        assert {"extraction", "appointment", "installation", "resolution"} <= set(kinds)
        assert kinds["installation"] <= kinds["extraction"]  # from the hand-over: none before it
        assert (
            s.scalar(
                select(func.count())
                .select_from(SlaClock)
                .join(WorkOrder, WorkOrder.id == SlaClock.order_id)
                .where(SlaClock.kind == "installation", SlaClock.started_at <= WorkOrder.created_at)
            )
            == 0
        )
        fault_kinds = s.scalars(
            select(SlaClock.kind)
            .join(WorkOrder, WorkOrder.id == SlaClock.order_id)
            .where(WorkOrder.type == "fault")
        ).all()
        assert fault_kinds and "appointment" not in fault_kinds
        credited = s.execute(
            select(SlaClock.credited_team_id, WorkOrder.team_id)
            .join(WorkOrder, WorkOrder.id == SlaClock.order_id)
            .where(SlaClock.settled_at.is_not(None))
        ).all()
        assert credited and all(team == order_team for team, order_team in credited)
        assert (
            s.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.settled_on_time.is_(False)))
            > 0
        )
        # The worker caught up with history: nothing is left due.
        from manyi.core.clock import now

        assert (
            s.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.next_check_at <= now())) == 0
        )
        # Channel partner and contractor (issue 10 A8): the partner's staff have its city, not every
        # region, and see only their organisation's orders; 铁通's crew are a contractor's team.
        shop_users = [u for u in s.scalars(select(User)) if "partner" in u.roles]
        assert shop_users and all(u.regions and u.organisation_id for u in shop_users)
        shop = s.get(Organisation, shop_users[0].organisation_id)
        assert shop is not None and shop.kind == "channel_partner"
        crew = s.scalars(select(User).where(User.username == "crew1")).one()
        contractor = s.get(Organisation, crew.organisation_id)
        assert contractor is not None and contractor.kind == "contractor" and crew.regions
        principal = principal_for_token(s, issue_token(s, user_id=shop_users[0].id)[0])
        viewer = viewer_of(s, principal)
        scope = viewer.regions
        assert scope is not None and viewer.partner == PartnerScope(shop.id)
        seen = search_orders(s, filters=OrderFilters(), viewer=viewer, limit=500).orders
        assert seen and all(o.region_code in scope for o in seen)
        assert all(shop.id in (o.created_by_org_id, o.partner_org_id) for o in seen)
        theirs = s.scalar(
            select(func.count())
            .select_from(WorkOrder)
            .where((WorkOrder.created_by_org_id == shop.id) | (WorkOrder.partner_org_id == shop.id))
        )
        assert theirs and len(seen) == min(theirs, 500)
        s.rollback()
