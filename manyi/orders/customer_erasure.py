"""The orders' side of erasing a customer's personal data (PIPL): refused while the customer has an
unfinished order (someone is still working on it and must reach them), or while one of their finished
orders is younger than the retention period (MANYI_CUSTOMER_RETENTION_DAYS, default 180: complaint and
dispute records are kept that long after the order ends). Flush, never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.core.errors import Conflict
from manyi.core.settings import get_settings
from manyi.customers.erasure import erase_customer
from manyi.customers.models import CustomerErasure
from manyi.orders.lifecycle import TERMINAL
from manyi.orders.models import WorkOrder

SHOWN = 5  # order numbers named in a refusal


def erasure_refusal(session: Session, *, customer_id: int, at: datetime, retention_days: int) -> str | None:
    """Why the customer's personal data may not be erased yet, or None when it may."""
    unfinished = list(
        session.scalars(
            select(WorkOrder.number)
            .where(WorkOrder.customer_id == customer_id, WorkOrder.status.not_in(TERMINAL))
            .order_by(WorkOrder.id)
            .limit(SHOWN + 1)
        )
    )
    if unfinished:
        more = ", …" if len(unfinished) > SHOWN else ""
        return (
            f"customer {customer_id} has unfinished orders ({', '.join(unfinished[:SHOWN])}{more}); "
            "finish them before erasing the customer's personal data"
        )
    if retention_days <= 0:
        return None
    ended = func.coalesce(WorkOrder.closed_at, WorkOrder.updated_at)
    last = session.scalar(select(func.max(ended)).where(WorkOrder.customer_id == customer_id))
    if last is None:
        return None
    last = ensure_aware(last, field="closed_at")
    until = last + timedelta(days=retention_days)
    if until > at:
        return (
            f"customer {customer_id}: an order of theirs ended on {last.date().isoformat()}; orders are kept "
            f"{retention_days} days after they end (retention rule), so the personal data can be erased "
            f"from {until.date().isoformat()}"
        )
    return None


def customer_erase_flow(
    session: Session,
    *,
    customer_id: int,
    reason: str,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> CustomerErasure:
    """Erase a customer's personal data unless their orders still need it; Conflict saying why not."""
    at = ensure_aware(at or now(), field="at")
    refusal = erasure_refusal(
        session, customer_id=customer_id, at=at, retention_days=get_settings().customer_retention_days
    )
    if refusal is not None:
        raise Conflict(refusal, field="customer")
    return erase_customer(session, customer_id=customer_id, reason=reason, actor_id=actor_id, at=at)
