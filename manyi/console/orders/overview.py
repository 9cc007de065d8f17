"""What one order's page shows besides its history: customer, subscription, SLA clocks with their
display state, attachments, linked orders and the team members it can be assigned to. Each part is
one indexed query, skipped when the order's counters say there is nothing to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi.core.refdata import cached
from manyi.customers.models import Customer, Subscription
from manyi.orders.models import OrderAttachment, OrderRelation, WorkOrder
from manyi.orders.queries import Viewer, visible_orders
from manyi.orders.transfers import team_covers
from manyi.org.models import Team, User
from manyi.org.reference import region_chain, team_region
from manyi.sla.models import SlaClock
from manyi.sla.service import order_clocks

MAX_LINKED = 50
NATURAL_UNITS = ("natural_hours", "natural_days")


@dataclass(frozen=True)
class ClockView:
    """One SLA clock as a countdown: state is ok | warning | breached | paused | met | stopped."""

    kind: str
    state: str
    due_at: datetime
    warn_at: datetime
    seconds_left: float | None
    natural: bool  # natural-time clocks may count down in the browser; working time needs the calendar
    met_at: datetime | None


@dataclass(frozen=True)
class Linked:
    number: str
    type: str
    status: str
    relation: str  # parent | child | related | duplicate | caused_by


@dataclass
class Overview:
    customer: Customer | None
    subscription: Subscription | None
    clocks: list[ClockView]
    attachments: list[OrderAttachment]
    linked: list[Linked] = field(default_factory=list)


def clock_view(clock: SlaClock, at: datetime) -> ClockView:
    """How a clock reads at `at`: met and stopped clocks are finished; a paused clock does not tick."""
    left: float | None = (clock.due_at - at).total_seconds()
    if clock.state == "met":
        state = "breached" if clock.breached else "met"
        left = None
    elif clock.state == "stopped":
        state, left = "stopped", None
    elif clock.state == "paused":
        state = "paused"
        left = (clock.due_at - clock.paused_at).total_seconds() if clock.paused_at else None
    elif clock.breached or at >= clock.due_at:
        state = "breached"
    elif at >= clock.warn_at:
        state = "warning"
    else:
        state = "ok"
    return ClockView(
        clock.kind, state, clock.due_at, clock.warn_at, left, clock.unit in NATURAL_UNITS, clock.met_at
    )


def _linked(session: Session, order: WorkOrder, viewer: Viewer) -> list[Linked]:
    """Parent, children and related orders the caller may see (others stay invisible)."""
    found: list[tuple[str, int]] = []
    if order.parent_id:
        found.append(("parent", order.parent_id))
    if order.link_count:
        children = select(WorkOrder.id).where(WorkOrder.parent_id == order.id).limit(MAX_LINKED)
        found += [("child", oid) for oid in session.scalars(children)]
        relations = session.execute(
            select(OrderRelation.order_id, OrderRelation.related_order_id, OrderRelation.kind)
            .where(or_(OrderRelation.order_id == order.id, OrderRelation.related_order_id == order.id))
            .limit(MAX_LINKED)
        )
        found += [(kind, b if a == order.id else a) for a, b, kind in relations]
    if not found:
        return []
    ids = {oid for _, oid in found}
    rows = {
        row.id: row
        for row in session.execute(
            visible_orders(viewer, WorkOrder.id, WorkOrder.number, WorkOrder.type, WorkOrder.status).where(
                WorkOrder.id.in_(ids)
            )
        )
    }
    return [
        Linked(rows[oid].number, rows[oid].type, rows[oid].status, relation)
        for relation, oid in found
        if oid in rows
    ]


def order_overview(session: Session, *, order: WorkOrder, at: datetime, viewer: Viewer) -> Overview:
    """Return everything but the timeline that the order's page shows."""
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    subscription = session.get(Subscription, order.subscription_id) if order.subscription_id else None
    clocks = [clock_view(c, at) for c in order_clocks(session, order_id=order.id)]
    attachments = (
        list(
            session.scalars(
                select(OrderAttachment)
                .where(OrderAttachment.order_id == order.id)
                .order_by(OrderAttachment.id.desc())
            )
        )
        if order.attachment_count
        else []
    )
    return Overview(customer, subscription, clocks, attachments, _linked(session, order, viewer))


def _load_members(session: Session) -> dict[int, list[tuple[int, str]]]:
    members: dict[int, list[tuple[int, str]]] = {}
    rows = session.execute(
        select(User.team_id, User.id, User.display_name)
        .where(User.team_id.is_not(None), User.active.is_(True))
        .order_by(User.display_name)
    )
    for team_id, uid, name in rows:
        if team_id is not None:
            members.setdefault(team_id, []).append((uid, name))
    return members


def team_members(session: Session, *, team_id: int | None) -> list[tuple[int, str]]:
    """Active members of a team (id, display name), by name: who an order of that team can go to."""
    if team_id is None:
        return []
    return cached(session, "team_members", _load_members).get(team_id, [])


def _load_teams(session: Session) -> list[tuple[int, str]]:
    return [(tid, name) for tid, name in session.execute(select(Team.id, Team.name).order_by(Team.name))]


def team_choices(session: Session) -> list[tuple[int, str]]:
    """Every team (id, name), by name."""
    return cached(session, "team_choices", _load_teams)


def transfer_targets(session: Session, *, region_code: str) -> list[tuple[int, str]]:
    """The teams (id, name), by name, an order of this region may be transferred to."""
    chain = region_chain(session, region_code)
    return [
        (tid, name) for tid, name in team_choices(session) if team_covers(team_region(session, tid), chain)
    ]


def attachment_of(session: Session, *, order_id: int, attachment_id: int) -> OrderAttachment | None:
    """The attachment if it belongs to this order (an id from another order is not found)."""
    attachment = session.get(OrderAttachment, attachment_id)
    return attachment if attachment is not None and attachment.order_id == order_id else None
