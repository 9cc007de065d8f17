"""One visibility rule (manyi.orders.queries): a caller whose regions exclude an order sees it in no
list, count or single-order load, and a deleted order is seen by no one; every path is checked
against a viewer who does see the order, so a path that shows nothing at all cannot pass."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.api.query import ListQuery
from manyi.auth.deps import Ctx
from manyi.auth.service import Principal
from manyi.console.board import queries as bq
from manyi.console.jobs import queries as jobs_queries
from manyi.console.orders.overview import order_overview
from manyi.console.orders.search import OrderFilters, search_orders
from manyi.console.supervisor import queries as stats
from manyi.console.workbench import queries as queues
from manyi.core.errors import NotFound
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.orders.queries import EVERYONE, Viewer, visible_order
from manyi.orders.tmf.filters import scoped
from manyi.orders.triage import pending_orders
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
NINGBO = Viewer(regions=frozenset({"330200"}))  # the orders below are in 330106 (Hangzhou, Xihu)
HANGZHOU = Viewer(regions=frozenset({"330100", "330106"}))

Seen = Callable[[Session, Viewer, dict[str, WorkOrder]], set[int]]


def _fault(session: Session, op: Operator, assignee_id: int | None = None) -> WorkOrder:
    order = service.create_order(
        session,
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
        at=AT,
    )
    if assignee_id is not None:
        service.assign_order(session, order_id=order.id, assignee_id=assignee_id, at=AT)
    return order


def _orders(session: Session, op: Operator) -> dict[str, WorkOrder]:
    """An assigned on-site job, a new unassigned order awaiting its region with a child, all open."""
    job = _fault(session, op, op.techs[0].id)
    new = _fault(session, op)
    new.region_pending = True
    new.sla_provisional = True
    child = service.create_order(
        session,
        type="fault",
        description="同一小区第二户",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        parent_id=new.id,
        actor_id=op.agent.id,
        at=AT,
    )
    job.sla_breached = True
    clock = session.scalars(select(SlaClock).where(SlaClock.order_id == job.id)).first()
    assert clock is not None
    clock.breached = True
    session.add(
        OutboxMessage(
            topic="sla.breach",
            channel="log",
            payload={},
            order_id=job.id,
            recipient_user_id=job.assignee_id,
            created_at=AT,
            sent_at=AT,
            dedupe_key=f"test:{job.id}",
            available_at=AT,
            attempts=0,
        )
    )
    session.flush()
    return {"job": job, "new": new, "child": child}


def _ids(orders: list[WorkOrder]) -> set[int]:
    return {o.id for o in orders}


def _due_soon(session: Session, viewer: Viewer, orders: dict[str, WorkOrder]) -> set[int]:
    due = session.scalars(
        select(SlaClock.due_at).where(SlaClock.order_id == orders["new"].id, SlaClock.state == "running")
    ).first()
    assert due is not None
    return {c.order_id for c in stats.due_soon(session, viewer=viewer, at=due - timedelta(minutes=30))[1]}


def _job(session: Session, viewer: Viewer, orders: dict[str, WorkOrder]) -> set[int]:
    order = orders["job"]
    try:
        return {
            jobs_queries.get_job(session, order_id=order.id, assignee_id=order.assignee_id, viewer=viewer).id
        }
    except NotFound:
        return set()


def _bulk_assign(session: Session, viewer: Viewer, orders: dict[str, WorkOrder]) -> set[int]:
    order = orders["new"]
    assert order.team_id is not None
    member = bq.team_members(session, team_id=order.team_id)[0]
    with session.begin_nested() as attempt:
        try:
            done = bq.bulk_assign_flow(
                session,
                order_ids=[order.id],
                team_id=order.team_id,
                assignee_id=member.user_id,
                viewer=viewer,
                actor_id=member.user_id,
            )
        except bq.BulkAssignRefused:
            return set()
        finally:
            attempt.rollback()
    return _ids(done)


def _tmf_list(session: Session, viewer: Viewer, orders: dict[str, WorkOrder]) -> set[int]:
    regions = () if viewer.regions is None else tuple(sorted(viewer.regions))
    principal = Principal(1, "u", "u", ("agent",), regions, frozenset())
    statement = scoped(Ctx(session, principal), select(WorkOrder), ListQuery())
    return _ids(list(session.scalars(statement)))


def _overview(session: Session, viewer: Viewer, orders: dict[str, WorkOrder]) -> set[int]:
    # The child's page lists its parent only for a viewer who may see the parent.
    linked = order_overview(session, order=orders["child"], at=AT, viewer=viewer).linked
    return {orders["new"].id for link in linked if link.number == orders["new"].number}


PATHS: dict[str, Seen] = {
    "single order by id": lambda s, v, o: {x.id for x in [visible_order(s, v, order_id=o["job"].id)] if x},
    "single order by number": lambda s, v, o: {
        x.id for x in [visible_order(s, v, number=o["job"].number)] if x
    },
    "TMF list (filters.scoped)": _tmf_list,
    "search": lambda s, v, o: _ids(search_orders(s, filters=OrderFilters(), viewer=v).orders),
    "my orders": lambda s, v, o: {
        r.order.id for r in queues.my_orders(s, owner_id=o["job"].owner_id or 0, viewer=v).rows
    },
    "team queue": lambda s, v, o: {
        r.order.id for r in queues.team_queue(s, team_id=o["job"].team_id or 0, viewer=v).rows
    },
    "customer open orders": lambda s, v, o: {
        r.order.id for r in queues.customer_open_orders(s, customer_id=o["job"].customer_id or 0, viewer=v)
    },
    "customer recent orders": lambda s, v, o: _ids(
        queues.customer_recent_orders(
            s, customer_id=o["job"].customer_id or 0, viewer=v, since=AT - timedelta(1)
        )
    ),
    "technician's jobs": lambda s, v, o: {
        j.order.id
        for j in jobs_queries.todays_jobs(s, assignee_id=o["job"].assignee_id or 0, viewer=v, at=AT)
    },
    "technician's job": _job,
    "board: new": lambda s, v, o: _ids(bq.new_orders(s, viewer=v, where=bq.BoardFilter())),
    "board: unassigned": lambda s, v, o: _ids(
        bq.unassigned_orders(s, viewer=v, where=bq.BoardFilter(team_id=o["new"].team_id))
    ),
    "board: unassigned counts": lambda s, v, o: {
        o["new"].id for _, n in bq.unassigned_counts(s, viewer=v, where=bq.BoardFilter()) if n
    },
    "board: bulk assign": _bulk_assign,
    "board: triage": lambda s, v, o: _ids(pending_orders(s, viewer=v)),
    "stats: open counts": lambda s, v, o: {o["job"].id} if stats.open_counts(s, viewer=v).total else set(),
    "stats: breached": lambda s, v, o: {c.order_id for c in stats.breached_open(s, viewer=v)[1]},
    "stats: due soon": _due_soon,
    "stats: provisional": lambda s, v, o: {o["new"].id} if stats.provisional_open(s, viewer=v) else set(),
    "stats: escalations": lambda s, v, o: {
        e.order_id for e in stats.escalations_for(s, user_id=o["job"].assignee_id or 0, viewer=v)[1]
    },
    "order page: linked orders": _overview,
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_an_order_outside_the_callers_regions_is_seen_nowhere(
    session: Session, operator: Operator, path: str
) -> None:
    orders = _orders(session, operator)
    seen = PATHS[path]
    assert seen(session, HANGZHOU, orders) & {o.id for o in orders.values()}, "the control must see it"
    assert seen(session, EVERYONE, orders) & {o.id for o in orders.values()}
    assert not seen(session, NINGBO, orders)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_deleted_order_is_seen_by_no_one(session: Session, operator: Operator, path: str) -> None:
    orders = _orders(session, operator)
    for order in orders.values():
        order.deleted_at = AT
    session.flush()
    assert not PATHS[path](session, EVERYONE, orders)
