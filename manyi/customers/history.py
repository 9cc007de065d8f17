"""A customer's append-only history: every change made through the services (red/blue list flag,
contact data, region, anything else) is one event with who, when, each field's before and after,
and the reason given. Never edited, never deleted (000: red-list data edits are audited).

PII: ID numbers are stored masked (the customer's own ID number is kept encrypted; its history must
not be a second, readable copy). Phone numbers are stored as the customer row stores them and masked
when shown to a role without pii:read, by shown_changes, in the API and the console alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.masking import mask_id_number, mask_phone
from manyi.customers.models import CustomerEvent

MASKED_WHEN_SHOWN = {"phone": mask_phone}
MASKED_WHEN_STORED = {"id_number": mask_id_number}


def _stored(field: str, value: Any) -> Any:
    mask = MASKED_WHEN_STORED.get(field)
    return mask(value) if mask is not None and isinstance(value, str) else value


def record_customer_event(
    session: Session,
    *,
    customer_id: int,
    action: str,
    at: datetime,
    actor_id: int | None,
    changes: dict[str, tuple[Any, Any]],
    note: str | None = None,
) -> CustomerEvent:
    """Append one event with each changed field's before and after."""
    event = CustomerEvent(
        customer_id=customer_id,
        at=at,
        actor_id=actor_id,
        action=action,
        changes=[
            {"field": f, "before": _stored(f, b), "after": _stored(f, a)}
            for f, (b, a) in changes.items()
            if b != a
        ],
        note=note,
    )
    session.add(event)
    return event


def customer_history(
    session: Session, *, customer_id: int, offset: int = 0, limit: int = 100
) -> tuple[list[CustomerEvent], int]:
    """A page of the customer's events, newest first, and how many there are."""
    where = CustomerEvent.customer_id == customer_id
    total = session.scalar(select(func.count()).select_from(CustomerEvent).where(where)) or 0
    events = session.scalars(
        select(CustomerEvent).where(where).order_by(CustomerEvent.id.desc()).offset(offset).limit(limit)
    )
    return list(events), int(total)


def shown_changes(changes: list[dict[str, Any]], *, pii: bool) -> list[dict[str, Any]]:
    """The changes as a caller may see them: phone numbers masked without pii:read."""
    if pii:
        return [dict(c) for c in changes]
    shown = []
    for change in changes:
        mask = MASKED_WHEN_SHOWN.get(change.get("field", ""))
        if mask is None:
            shown.append(dict(change))
        else:
            shown.append({**change, "before": mask(change["before"]), "after": mask(change["after"])})
    return shown
