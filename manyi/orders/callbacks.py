"""Contact attempts and callbacks (回访) of work orders: the closed loop's rules checked against the
database, their records, and reading them back.

transition_order (manyi.orders.service) calls check_step before an action changes anything and
record_step after it, so the API, the console, the CLI and the technician's page all obey the same
rules: a callback is made by someone with ticket:callback who did not resolve the order; a complaint
closes only through its callback; "unreachable" needs the contact rule met; a complaint is cancelled
or rejected only with a reason, by someone with complaint:withdraw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.auth.actors import actor_permissions
from manyi.core.clock import zone
from manyi.core.settings import get_settings
from manyi.orders import closed_loop
from manyi.orders.closed_loop import (
    FAILED_OUTCOMES,
    OUTCOME_FIELDS,
    ContactRule,
    Reachability,
    unreachable_rule,
)
from manyi.orders.models import OrderCallback, OrderContact, OrderEvent, WorkOrder


def contact_rule() -> ContactRule:
    """The configured contact rule: attempts required, the least time between them, the zone."""
    settings = get_settings()
    return ContactRule(
        settings.unreachable_attempts,
        timedelta(minutes=settings.unreachable_spacing_minutes),
        zone(settings.default_timezone),
    )


def resolver_id(session: Session, *, order_id: int) -> int | None:
    """Who resolved the order last (None: nobody named, e.g. an import)."""
    return session.scalar(
        select(OrderEvent.actor_id)
        .where(OrderEvent.order_id == order_id, OrderEvent.action == "resolve")
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


def failed_since_resolution(session: Session, *, order: WorkOrder) -> list[datetime]:
    """When the failed attempts since the order was (last) resolved were made."""
    if order.resolved_at is None:
        return []
    return list(
        session.scalars(
            select(OrderContact.at).where(
                OrderContact.order_id == order.id,
                OrderContact.outcome.in_(sorted(FAILED_OUTCOMES)),
                OrderContact.at >= order.resolved_at,
            )
        )
    )


def check_step(
    session: Session,
    *,
    order: WorkOrder,
    action: str,
    outcome: str | None,
    reason: str | None,
    actor_id: int | None,
) -> str | None:
    """Check the closed loop's rules (manyi.orders.closed_loop.check_step) for an action the state
    machine allows; return the outcome it records (contact outcome or callback result), or None."""
    return closed_loop.check_step(
        order_type=order.type,
        status=order.status,
        action=action,
        outcome=outcome,
        reason=reason,
        actor_id=actor_id,
        permissions=actor_permissions(session, actor_id),
        resolver=lambda: resolver_id(session, order_id=order.id),
        failed_attempts=lambda: failed_since_resolution(session, order=order),
        rule=contact_rule(),
    )


def record_step(
    session: Session,
    *,
    order: WorkOrder,
    action: str,
    outcome: str | None,
    note: str | None,
    actor_id: int | None,
    at: datetime,
) -> None:
    """Store the contact attempt or callback an action made."""
    if outcome is None:
        return
    if action in closed_loop.CONTACT_ACTIONS:
        session.add(OrderContact(order_id=order.id, at=at, actor_id=actor_id, outcome=outcome, note=note))
    elif action in closed_loop.CALLBACK_ACTIONS:
        session.add(OrderCallback(order_id=order.id, at=at, actor_id=actor_id, result=outcome, note=note))


@dataclass(frozen=True)
class LoopLog:
    """An order's contact attempts and callbacks, oldest first, and where it stands on the rule."""

    contacts: list[OrderContact]
    callbacks: list[OrderCallback]
    reachability: Reachability


def loop_log(session: Session, *, order: WorkOrder) -> LoopLog:
    """Everything the order page shows about reaching the customer and the callback."""
    contacts = list(
        session.scalars(
            select(OrderContact).where(OrderContact.order_id == order.id).order_by(OrderContact.id)
        )
    )
    callbacks = list(
        session.scalars(
            select(OrderCallback).where(OrderCallback.order_id == order.id).order_by(OrderCallback.id)
        )
    )
    rule = contact_rule()
    resolved_at = order.resolved_at
    failed = [
        c.at
        for c in contacts
        if resolved_at is not None and c.outcome in FAILED_OUTCOMES and c.at >= resolved_at
    ]
    return LoopLog(
        contacts, callbacks, unreachable_rule(failed, required=rule.required, spacing=rule.spacing)
    )


def may_call_back(session: Session, *, order: WorkOrder, actor_id: int | None) -> bool:
    """Whether this member of staff may record the order's callback (for offering the form)."""
    return "ticket:callback" in actor_permissions(session, actor_id) and actor_id != resolver_id(
        session, order_id=order.id
    )


def outcome_change(action: str, outcome: str | None) -> dict[str, tuple[Any, Any]]:
    """The history event's change entry naming the outcome (none for other actions)."""
    field = OUTCOME_FIELDS.get(action)
    return {field: (None, outcome)} if field and outcome else {}
