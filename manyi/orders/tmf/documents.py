"""Work orders as TMF621 TroubleTickets (`@type: ManyiTroubleTicket`), and TMF requests as service calls.

The standard fields carry what the standard knows; Manyi's own (stage, category, region, team,
SLA clocks, next legal actions) are extension fields a standard client ignores. A ticket's `id` is
its readable order number (GD20261122000123), the number staff and customers quote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.categories.tree import category_by_id
from manyi.customers.models import Customer, Subscription
from manyi.orders import lifecycle
from manyi.orders.models import (
    OrderAttachment,
    OrderCallback,
    OrderContact,
    OrderEvent,
    OrderNote,
    OrderRelation,
    WorkOrder,
)
from manyi.org.reference import region_index, team_name, user_index
from manyi.sla.models import SlaClock

BASE = "/tmf-api/troubleTicket/v4/troubleTicket"
CUSTOMER_HREF = "/tmf-api/customerManagement/v4/customer"
SCHEMA_PATH = "/api/v1/schemas/ManyiTroubleTicket"  # served by manyi.orders.tmf.endpoints
CHANNEL_NAMES = {
    "hotline": "10086热线",
    "hall": "营业厅",
    "web": "网上营业厅",
    "app": "手机营业厅",
    "sms": "短信",
    "partner": "合作渠道",
    "field": "现场",
    "system": "系统",
}
PARTS = (
    "note",
    "attachment",
    "statusChange",
    "troubleTicketRelationship",
    "slaClock",
    "relatedParty",
    "callback",
)
CONTACT_NOTE = "ContactAttemptNote"


def iso(value: datetime | None) -> str | None:
    """UTC with a Z, as TMF examples write date-times."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _wanted(fields: frozenset[str] | None, part: str) -> bool:
    return fields is None or part in fields


class Loaded:
    """Everything the documents of a page of orders need, fetched with one query per kind."""

    def __init__(self, session: Session, orders: list[WorkOrder], fields: frozenset[str] | None) -> None:
        ids = [o.id for o in orders]
        self.clocks: dict[int, list[SlaClock]] = {}
        self.notes: dict[int, list[OrderNote]] = {}
        self.contacts: dict[int, list[OrderContact]] = {}
        self.callbacks: dict[int, list[OrderCallback]] = {}
        self.attachments: dict[int, list[OrderAttachment]] = {}
        self.status_events: dict[int, list[OrderEvent]] = {}
        self.children: dict[int, list[str]] = {}
        self.related: dict[int, list[tuple[str, str]]] = {}
        self.customers: dict[int, Customer] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self.numbers: dict[int, str] = {o.id: o.number for o in orders}
        if not ids:
            return
        if _wanted(fields, "slaClock") or _wanted(fields, "expectedResolutionDate"):
            for c in session.scalars(
                select(SlaClock).where(SlaClock.order_id.in_(ids)).order_by(SlaClock.id)
            ):
                self.clocks.setdefault(c.order_id, []).append(c)

        def having(counter: str) -> list[int]:
            return [o.id for o in orders if getattr(o, counter)]

        if _wanted(fields, "note") and (with_notes := having("note_count")):
            notes = select(OrderNote).where(OrderNote.order_id.in_(with_notes))
            for n in session.scalars(notes.order_by(OrderNote.id)):
                self.notes.setdefault(n.order_id, []).append(n)
        if _wanted(fields, "note") and (with_contacts := having("contact_attempts")):
            contacts = select(OrderContact).where(OrderContact.order_id.in_(with_contacts))
            for k in session.scalars(contacts.order_by(OrderContact.id)):
                self.contacts.setdefault(k.order_id, []).append(k)
        # Callbacks close an order or re-open it: only closed or re-opened orders can have one.
        called = [o.id for o in orders if o.status == "closed" or o.reopen_count]
        if _wanted(fields, "callback") and called:
            callbacks = select(OrderCallback).where(OrderCallback.order_id.in_(called))
            for b in session.scalars(callbacks.order_by(OrderCallback.id)):
                self.callbacks.setdefault(b.order_id, []).append(b)
        if _wanted(fields, "attachment") and (with_files := having("attachment_count")):
            attachments = select(OrderAttachment).where(OrderAttachment.order_id.in_(with_files))
            for a in session.scalars(attachments.order_by(OrderAttachment.id)):
                self.attachments.setdefault(a.order_id, []).append(a)
        if _wanted(fields, "statusChange"):
            actions = ("created", *lifecycle.ALL_ACTIONS)
            events = select(OrderEvent).where(OrderEvent.order_id.in_(ids), OrderEvent.action.in_(actions))
            for e in session.scalars(events.order_by(OrderEvent.id)):
                if any(ch.get("field") == "status" for ch in e.changes or []):
                    self.status_events.setdefault(e.order_id, []).append(e)
        if _wanted(fields, "troubleTicketRelationship"):
            self._links(session, orders, having("link_count"))
        if _wanted(fields, "relatedParty"):
            customer_ids = {o.customer_id for o in orders if o.customer_id}
            if customer_ids:
                for cu in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
                    self.customers[cu.id] = cu
        if _wanted(fields, "relatedEntity"):
            sub_ids = {o.subscription_id for o in orders if o.subscription_id}
            if sub_ids:
                for sub in session.scalars(select(Subscription).where(Subscription.id.in_(sub_ids))):
                    self.subscriptions[sub.id] = sub

    def _links(self, session: Session, orders: list[WorkOrder], linked: list[int]) -> None:
        parents = {o.parent_id for o in orders if o.parent_id}
        if parents:
            for oid, number in session.execute(
                select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(parents))
            ):
                self.numbers[oid] = number
        if not linked:
            return
        for number, parent in session.execute(
            select(WorkOrder.number, WorkOrder.parent_id).where(WorkOrder.parent_id.in_(linked))
        ):
            if parent is not None:
                self.children.setdefault(parent, []).append(number)
        for rel, number in session.execute(
            select(OrderRelation, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == OrderRelation.related_order_id)
            .where(OrderRelation.order_id.in_(linked))
        ):
            self.related.setdefault(rel.order_id, []).append((number, rel.kind))
        for rel, number in session.execute(
            select(OrderRelation, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == OrderRelation.order_id)
            .where(OrderRelation.related_order_id.in_(linked))
        ):
            self.related.setdefault(rel.related_order_id, []).append((number, rel.kind))


def _user_party(session: Session, user_id: int | None, role: str) -> dict[str, Any] | None:
    user = user_index(session).get(user_id) if user_id else None
    if user is None:
        return None
    return {"id": user.username, "name": user.display_name, "role": role, "@referredType": "Individual"}


def _username(session: Session, user_id: int | None) -> str | None:
    user = user_index(session).get(user_id) if user_id else None
    return user.username if user else None


def _clock(c: SlaClock) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "state": c.state,
        "startDate": iso(c.started_at),
        "dueDate": iso(c.due_at),
        "warningDate": iso(c.warn_at),
        "metDate": iso(c.met_at),
        "breached": bool(c.breached),
        "provisional": bool(c.provisional),
        "limit": {"amount": c.amount, "unit": c.unit, "calendar": c.calendar_name},
    }


def _notes(session: Session, order: WorkOrder, loaded: Loaded) -> list[dict[str, Any]]:
    """Notes and, as ContactAttemptNote notes with their outcome, the attempts to reach the
    customer; by date."""
    notes = [
        (
            n.created_at,
            {
                "id": str(n.id),
                "author": _username(session, n.author_id),
                "date": iso(n.created_at),
                "text": n.text,
                "@type": "Note",
            },
        )
        for n in loaded.notes.get(order.id, [])
    ]
    for k in loaded.contacts.get(order.id, []):
        note = {
            "id": f"contact-{k.id}",
            "author": _username(session, k.actor_id),
            "date": iso(k.at),
            "text": k.note,
            "outcome": k.outcome,
            "@type": CONTACT_NOTE,
            "@baseType": "Note",
        }
        notes.append((k.at, {key: v for key, v in note.items() if v is not None}))
    notes.sort(key=lambda pair: pair[0])
    return [note for _, note in notes]


def _callbacks(session: Session, order: WorkOrder, loaded: Loaded) -> list[dict[str, Any]]:
    return [
        {
            key: v
            for key, v in {
                "result": b.result,
                "date": iso(b.at),
                "author": _username(session, b.actor_id),
                "note": b.note,
            }.items()
            if v is not None
        }
        for b in loaded.callbacks.get(order.id, [])
    ]


def document(session: Session, order: WorkOrder, loaded: Loaded, base_url: str) -> dict[str, Any]:
    """The full ManyiTroubleTicket document of one order; base_url makes @schemaLocation absolute."""
    clocks = loaded.clocks.get(order.id, [])
    resolution = next((c for c in clocks if c.kind == "resolution"), None)
    status_events = loaded.status_events.get(order.id, [])
    parties = [
        p
        for p in (
            _user_party(session, order.owner_id, "owner"),
            _user_party(session, order.assignee_id, "assignee"),
        )
        if p
    ]
    customer = loaded.customers.get(order.customer_id) if order.customer_id else None
    if order.customer_id:
        parties.insert(
            0,
            {
                "id": str(order.customer_id),
                "href": f"{CUSTOMER_HREF}/{order.customer_id}",
                "name": customer.name if customer else None,
                "role": "customer",
                "@referredType": "Customer",
            },
        )
    region = region_index(session).get(order.region_code)
    category = category_by_id(session, order.category_id) if order.category_id else None
    relationships = []
    if order.parent_id and order.parent_id in loaded.numbers:
        number = loaded.numbers[order.parent_id]
        relationships.append({"id": number, "href": f"{BASE}/{number}", "relationshipType": "isChildOf"})
    for number in loaded.children.get(order.id, []):
        relationships.append({"id": number, "href": f"{BASE}/{number}", "relationshipType": "isParentOf"})
    for number, kind in loaded.related.get(order.id, []):
        relationships.append({"id": number, "href": f"{BASE}/{number}", "relationshipType": kind})
    subscription = loaded.subscriptions.get(order.subscription_id) if order.subscription_id else None
    last_status = status_events[-1] if status_events else None
    doc: dict[str, Any] = {
        "id": order.number,
        "href": f"{BASE}/{order.number}",
        "@type": "ManyiTroubleTicket",
        "@baseType": "TroubleTicket",
        "@schemaLocation": base_url + SCHEMA_PATH,  # TMF: a URI, so absolute
        "name": order.title,
        "description": order.description,
        "severity": order.severity,
        "priority": str(order.priority),
        "ticketType": order.type,
        "status": order.status,
        "statusChangeDate": iso(last_status.at if last_status else order.created_at),
        "statusChangeReason": last_status.note if last_status else None,
        "creationDate": iso(order.created_at),
        "lastUpdate": iso(order.updated_at),
        "expectedResolutionDate": iso(resolution.due_at) if resolution else None,
        "resolutionDate": iso(order.resolved_at),
        "externalId": order.external_id,
        "channel": {
            "id": order.channel,
            "name": CHANNEL_NAMES.get(order.channel, order.channel),
            "@referredType": "Channel",
        },
        "relatedParty": parties,
        "relatedEntity": (
            [
                {
                    "id": str(order.subscription_id),
                    "name": subscription.product if subscription else order.product,
                    "role": "subscription",
                    "@referredType": "Product",
                }
            ]
            if order.subscription_id
            else []
        ),
        "note": _notes(session, order, loaded),
        "attachment": [
            {
                "id": str(a.id),
                "href": f"/api/v1/attachments/{a.id}",
                "name": a.filename,
                "mimeType": a.content_type,
                "size": {"amount": a.size, "units": "bytes"},
                "@type": "AttachmentRefOrValue",
                "@referredType": "Attachment",
            }
            for a in loaded.attachments.get(order.id, [])
        ],
        "statusChange": [
            {
                "status": next(ch["after"] for ch in e.changes if ch["field"] == "status"),
                "changeDate": iso(e.at),
                "changeReason": e.note or e.action,
                "@type": "StatusChange",
            }
            for e in status_events
        ],
        "troubleTicketRelationship": relationships,
        # Manyi extension (ManyiTroubleTicket)
        "stage": order.stage,
        "category": {"id": category.code, "name": category.name, "path": category.path} if category else None,
        "region": {"id": order.region_code, "name": region.name if region else None},
        # In the triage region until a dispatcher sets the real one (PATCH region).
        "regionPending": True if order.region_pending else None,
        "team": {"id": str(order.team_id), "name": team_name(session, order.team_id)}
        if order.team_id
        else None,
        "slaClock": [_clock(c) for c in clocks],
        "slaBreached": bool(order.sla_breached),
        "callback": _callbacks(session, order, loaded),
        "nextActions": lifecycle.next_actions(order.type, order.status, order.stage),
        "version": order.version,
    }
    return {k: v for k, v in doc.items() if v is not None}


def documents(
    session: Session,
    orders: Iterable[WorkOrder],
    fields: frozenset[str] | None = None,
    *,
    base_url: str,
) -> list[dict[str, Any]]:
    orders = list(orders)
    loaded = Loaded(session, orders, fields)
    return [document(session, o, loaded, base_url) for o in orders]
