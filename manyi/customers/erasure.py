"""Erasing a customer's personal data on their request (PIPL 个人信息保护法, art. 47): name, phone, ID
number, addresses, service numbers and contact persons are overwritten or removed; the customer row,
its number and its subscriptions stay so its orders keep pointing at something. What was erased is
recorded (who, when, why, which kinds of data), never the data itself. Flush, never commit.

Whether the orders' records still have to be kept is the orders' rule, checked first by
manyi.orders.customer_erasure.customer_erase_flow; call that, not erase_customer directly."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.core.errors import Conflict, ValidationFailed
from manyi.customers.models import CustomerContact, CustomerErasure, Subscription
from manyi.customers.service import _notify, get_customer

ERASED = "已删除"  # stands in for an erased name or service number (the columns are NOT NULL)
MAX_REASON = 500


def erase_customer(
    session: Session,
    *,
    customer_id: int,
    reason: str,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> CustomerErasure:
    """Overwrite the customer's personal data and record the erasure; Conflict if already erased."""
    at = ensure_aware(at or now(), field="at")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(f"reason: expected 1-{MAX_REASON} characters", field="reason")
    customer = get_customer(session, customer_id=customer_id)
    if customer.erased_at is not None:
        raise Conflict(f"customer {customer_id}: personal data already erased", field="customer")
    erased: list[str] = ["name"]
    customer.name = ERASED
    if customer.phone is not None:
        customer.phone = None
        erased.append("phone")
    if customer.id_number_encrypted is not None or customer.id_number_hash is not None:
        customer.id_number_encrypted = customer.id_number_hash = None
        erased.append("idNumber")
    subscriptions = list(session.scalars(select(Subscription).where(Subscription.customer_id == customer.id)))
    if any(s.address for s in subscriptions):
        erased.append("address")
    if subscriptions:
        erased.append("serviceNumber")
    for subscription in subscriptions:
        subscription.address = None
        subscription.service_number = ERASED
    contacts = session.execute(delete(CustomerContact).where(CustomerContact.customer_id == customer.id))
    if getattr(contacts, "rowcount", 0):
        erased.append("contactPersons")
    customer.erased_at = at
    record = CustomerErasure(customer_id=customer.id, at=at, actor_id=actor_id, reason=reason, fields=erased)
    session.add(record)
    session.flush()
    _notify(session, "CustomerDeleteEvent", customer)
    return record
