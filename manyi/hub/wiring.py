"""Turn domain changes into TMF events: the hooks the event hub registers on orders and customers.

Installed explicitly by every entry point that changes data (manyi.app, manyi.cli), never on import.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from manyi.api.urls import public_base
from manyi.customers import service as customers
from manyi.customers.models import Customer
from manyi.hub.service import emit, subscribers
from manyi.orders import hooks as order_hooks
from manyi.orders.models import WorkOrder


def _ticket_events(order: WorkOrder, kind: str, changes: dict[str, tuple[Any, Any]]) -> list[str]:
    if kind == "created":
        return ["TroubleTicketCreateEvent"]
    if kind != "status":
        return ["TroubleTicketAttributeValueChangeEvent"]
    events = ["TroubleTicketStatusChangeEvent"]
    if order.status == "resolved":
        events.append("TroubleTicketResolvedEvent")
    if order.status == "pending":  # waiting on the customer: the ticket needs information
        events.append("TroubleTicketInformationRequiredEvent")
    return events


def on_order(session: Session, order: WorkOrder, kind: str, changes: dict[str, tuple[Any, Any]]) -> None:
    if not subscribers(session, "troubleTicket"):
        return  # the common case: nobody listens, so do not even render the ticket
    from manyi.orders.tmf.documents import documents

    session.flush()
    document = documents(session, [order], base_url=public_base())[0]
    for event_type in _ticket_events(order, kind, changes):
        emit(
            session,
            api="troubleTicket",
            event_type=event_type,
            resource=document,
            ordering_key=f"ticket:{order.number}",
        )


def on_customer(session: Session, event_type: str, customer: Customer) -> None:
    if not subscribers(session, "customer"):
        return
    from manyi.customers.tmf import documents

    document = documents(session, [customer], pii=True, base_url=public_base())[0]
    emit(
        session,
        api="customer",
        event_type=event_type,
        resource=document,
        ordering_key=f"customer:{customer.id}",
    )


def install_hooks() -> None:
    """Register the hub on order and customer changes (idempotent)."""
    if on_order not in order_hooks.HOOKS:
        order_hooks.HOOKS.append(on_order)
    if on_customer not in customers.HOOKS:
        customers.HOOKS.append(on_customer)
