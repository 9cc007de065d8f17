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
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.core.settings import get_settings
from manyi.orders import closed_loop
from manyi.orders.closed_loop import FAILED_OUTCOMES, Reachability, unreachable_rule
from manyi.orders.models import OrderCallback, OrderContact, OrderEvent, WorkOrder

# The history event of a contact or callback names its outcome as a change of this pseudo-field.
OUTCOME_FIELDS = {"contact": "contact_outcome", "contact_failed": "contact_outcome"}
OUTCOME_FIELDS |= {"callback_ok": "callback_result", "callback_unsatisfied": "callback_result"}


class CallbackNotAllowed(PermissionDenied):
    """The acting member of staff may not make this order's callback (no permission, or resolved it)."""


class WithdrawalNotAllowed(PermissionDenied):
    """Cancelling or rejecting a complaint without the complaint:withdraw permission."""


class CallbackRequired(ValidationFailed):
    """A plain close of an order that closes only through its callback."""


class NotYetUnreachable(ValidationFailed):
    """Closing as unreachable before the contact rule is met; says how far it is and when next."""

    def __init__(self, verdict: Reachability) -> None:
        attempts = f"{len(verdict.counted)} of {verdict.required} failed attempts"
        spacing = int(verdict.spacing.total_seconds() // 60)
        if verdict.next_at is not None:
            local = verdict.next_at.astimezone(zone(get_settings().default_timezone))
            when = f"; next possible after {local:%Y-%m-%d %H:%M}"
        else:
            when = "; record a failed attempt first"
        super().__init__(
            f"outcome: unreachable needs {verdict.required} failed contact attempts at least "
            f"{spacing} minutes apart since the order was resolved: {attempts}{when}",
            field="outcome",
        )
        self.verdict = verdict


def contact_rule() -> tuple[int, timedelta]:
    """The configured contact rule: attempts required, and the least time between them."""
    settings = get_settings()
    return settings.unreachable_attempts, timedelta(minutes=settings.unreachable_spacing_minutes)


def resolver_id(session: Session, *, order_id: int) -> int | None:
    """Who resolved the order last (None: nobody named, e.g. an import)."""
    return session.scalar(
        select(OrderEvent.actor_id)
        .where(OrderEvent.order_id == order_id, OrderEvent.action == "resolve")
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


def reachability(session: Session, *, order: WorkOrder) -> Reachability:
    """The contact rule over the failed attempts since the order was (last) resolved."""
    required, spacing = contact_rule()
    if order.resolved_at is None:
        return unreachable_rule([], required=required, spacing=spacing)
    failed = session.scalars(
        select(OrderContact.at).where(
            OrderContact.order_id == order.id,
            OrderContact.outcome.in_(sorted(FAILED_OUTCOMES)),
            OrderContact.at >= order.resolved_at,
        )
    )
    return unreachable_rule(list(failed), required=required, spacing=spacing)


def check_callback_actor(session: Session, *, order: WorkOrder, actor_id: int | None) -> None:
    """A callback and its attempts are made by the callback seats, never by whoever resolved the
    order (001: the check on the work is independent of it)."""
    if "ticket:callback" not in actor_permissions(session, actor_id):
        raise CallbackNotAllowed(
            "a callback is recorded by a member of staff with the ticket:callback permission "
            "(callback seats, agents, supervisors); technicians and partners cannot"
        )
    if actor_id == resolver_id(session, order_id=order.id):
        raise CallbackNotAllowed(
            f"you resolved work order {order.number}: its callback is made by someone else"
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
    """Check the closed loop's rules for an action the state machine allows; return the outcome it
    records (contact outcome or callback result), or None."""
    recorded = closed_loop.step_outcome(action, outcome)
    if action in closed_loop.CALLBACK_ACTIONS or (action == "contact_failed" and order.status == "resolved"):
        check_callback_actor(session, order=order, actor_id=actor_id)
    if recorded == "unreachable":
        verdict = reachability(session, order=order)
        if not verdict.allowed:
            raise NotYetUnreachable(verdict)
    if action == "close" and closed_loop.needs_callback(order.type):
        raise CallbackRequired(
            f"outcome: a resolved {order.type} closes only through its callback; record the callback "
            "result (satisfied, basically_satisfied, unsatisfied, or unreachable under the contact rule) "
            "instead of a plain close",
            field="outcome",
        )
    if closed_loop.withdrawal_checked(order.type, action):
        if not (reason and reason.strip()):
            raise ValidationFailed(f"reason: to {action} a {order.type} give the reason", field="reason")
        if "complaint:withdraw" not in actor_permissions(session, actor_id):
            raise WithdrawalNotAllowed(
                f"to {action} a complaint needs the complaint:withdraw permission "
                "(complaint handlers, supervisors)"
            )
    return recorded


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
    return LoopLog(contacts, callbacks, reachability(session, order=order))


def may_call_back(session: Session, *, order: WorkOrder, actor_id: int | None) -> bool:
    """Whether this member of staff may record the order's callback (for offering the form)."""
    try:
        check_callback_actor(session, order=order, actor_id=actor_id)
    except CallbackNotAllowed:
        return False
    return True


def outcome_change(action: str, outcome: str | None) -> dict[str, tuple[Any, Any]]:
    """The history event's change entry naming the outcome (none for other actions)."""
    field = OUTCOME_FIELDS.get(action)
    return {field: (None, outcome)} if field and outcome else {}
