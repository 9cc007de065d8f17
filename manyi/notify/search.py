"""Find the SMS sent to a customer: by phone (any spacing), customer number or order number, inside
the staff member's regions. A role without pii:read may not search by phone (it would turn a number
into a customer), the same rule as the caller lookup."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import PermissionDenied
from manyi.customers.models import Customer
from manyi.notify import rules
from manyi.notify.models import NotifyMessage
from manyi.orders.models import WorkOrder

LIMIT = 100


def search_messages(
    session: Session, *, query: str, scope: frozenset[str] | None, pii: bool, limit: int = LIMIT
) -> list[tuple[NotifyMessage, str | None, str | None]]:
    """(message, customer number, order number), newest first; empty for an empty query."""
    text = query.strip()[:64]
    if not text:
        return []
    statement: Any = (
        select(NotifyMessage, Customer.customer_no, WorkOrder.number)
        .outerjoin(Customer, Customer.id == NotifyMessage.customer_id)
        .outerjoin(WorkOrder, WorkOrder.id == NotifyMessage.order_id)
        .where(NotifyMessage.channel == "sms")
    )
    digits = re.sub(r"[\s\-()+]", "", text)
    if digits.isdigit() and len(digits) >= 7:
        if not pii:
            raise PermissionDenied("searching by phone number needs the pii:read permission", field="q")
        number = rules.normalise_msisdn(digits) or digits
        statement = statement.where(NotifyMessage.address == number)
    elif text.upper().startswith("GD"):
        statement = statement.where(WorkOrder.number == text.upper())
    else:
        statement = statement.where(Customer.customer_no == text.upper())
    if scope is not None:
        statement = statement.where(Customer.region_code.in_(scope))
    rows = session.execute(statement.order_by(NotifyMessage.id.desc()).limit(limit)).all()
    return [(m, c, o) for m, c, o in rows]
