"""The closed loop's pure rules (DOMAIN "Closed loop" and "Contact rule", seed 001): what a contact
attempt's outcome means, what a callback result does to an order, which orders close only through
a callback, and when a customer counts as unreachable. No I/O: manyi.orders.callbacks applies them
to orders, the bulk writer to specs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from manyi.core.errors import PermissionDenied, ValidationFailed

# A contact attempt (a call or a visit) and what came of it. Only "reached" is a contact: it meets
# the first-contact clock and moves the order to the contacted stage; a status change never does.
CONTACT_OUTCOMES = ("reached", "not_reached", "wrong_number")
FAILED_OUTCOMES = frozenset({"not_reached", "wrong_number"})
# The callback (回访): what the customer said about how the order was handled, or that they could
# not be reached under the contact rule. Unsatisfied re-opens the order to its owner.
CALLBACK_RESULTS = ("satisfied", "basically_satisfied", "unsatisfied", "unreachable")
CLOSING_RESULTS = ("satisfied", "basically_satisfied", "unreachable")
CONTACT_ACTIONS = frozenset({"contact", "contact_failed"})
CALLBACK_ACTIONS = frozenset({"callback_ok", "callback_unsatisfied"})
# The history event of a contact or callback names its outcome as a change of this pseudo-field.
OUTCOME_FIELDS = {action: "contact_outcome" for action in CONTACT_ACTIONS} | {
    action: "callback_result" for action in CALLBACK_ACTIONS
}
# 001: every complaint gets a callback before it closes; a plain `close` is for the other types.
CALLBACK_BEFORE_CLOSE = frozenset({"complaint"})
# Cancelling or rejecting a complaint is a decision of the complaint handlers or a supervisor, with
# a reason: a withdrawn complaint is still counted and may come back as an appeal to the regulator.
WITHDRAW_CHECKED = frozenset({"complaint"})
WITHDRAW_ACTIONS = frozenset({"cancel", "reject"})


def _expected(field: str, allowed: Iterable[str], got: object) -> ValidationFailed:
    return ValidationFailed(f"{field}: expected one of {', '.join(allowed)}, got {got!r}", field=field)


def contact_action(outcome: str) -> str:
    """The lifecycle action that records a contact attempt with this outcome."""
    if outcome == "reached":
        return "contact"
    if outcome in FAILED_OUTCOMES:
        return "contact_failed"
    raise _expected("outcome", CONTACT_OUTCOMES, outcome)


def callback_action(result: str) -> str:
    """The lifecycle action that records a callback with this result."""
    if result in CLOSING_RESULTS:
        return "callback_ok"
    if result == "unsatisfied":
        return "callback_unsatisfied"
    raise _expected("outcome", CALLBACK_RESULTS, result)


def step_outcome(action: str, outcome: str | None) -> str | None:
    """The outcome an action records (a contact outcome or a callback result), defaulted and
    checked; None for actions that record none."""
    if action == "contact":
        if outcome not in (None, "reached"):
            raise ValidationFailed(
                f"outcome: a contact reached the customer; record {outcome!r} with contact_failed",
                field="outcome",
            )
        return "reached"
    if action == "contact_failed":
        outcome = outcome or "not_reached"
        if outcome not in FAILED_OUTCOMES:
            raise _expected("outcome", sorted(FAILED_OUTCOMES), outcome)
        return outcome
    if action == "callback_ok":
        outcome = outcome or "satisfied"
        if outcome not in CLOSING_RESULTS:
            raise _expected("outcome", CLOSING_RESULTS, outcome)
        return outcome
    if action == "callback_unsatisfied":
        if outcome not in (None, "unsatisfied"):
            raise _expected("outcome", ("unsatisfied",), outcome)
        return "unsatisfied"
    if outcome is not None:
        raise ValidationFailed(
            f"outcome: only contact and callback actions record an outcome; {action} takes none",
            field="outcome",
        )
    return None


def needs_callback(order_type: str) -> bool:
    """Whether a resolved order of this type closes only through its callback."""
    return order_type in CALLBACK_BEFORE_CLOSE


def withdrawal_checked(order_type: str, action: str) -> bool:
    """Whether this cancel/reject needs a reason and the complaint:withdraw permission."""
    return order_type in WITHDRAW_CHECKED and action in WITHDRAW_ACTIONS


@dataclass(frozen=True)
class Reachability:
    """Where an order stands on the contact rule: the failed attempts that count (each at least
    `spacing` after the one counted before it), how many are required, and when the next may be."""

    counted: tuple[datetime, ...]
    required: int
    spacing: timedelta

    @property
    def allowed(self) -> bool:
        """The customer may be called unreachable."""
        return len(self.counted) >= self.required

    @property
    def next_at(self) -> datetime | None:
        """The earliest instant another attempt counts (None once allowed or before any attempt)."""
        if self.allowed or not self.counted:
            return None
        return self.counted[-1] + self.spacing


def unreachable_rule(failed_at: Iterable[datetime], *, required: int, spacing: timedelta) -> Reachability:
    """Count failed attempts under the contact rule: earliest first, each counted attempt at least
    `spacing` after the one before (taking the earliest that qualifies gives the longest such chain,
    so no other choice of attempts would count more)."""
    counted: list[datetime] = []
    for at in sorted(failed_at):
        if not counted or at - counted[-1] >= spacing:
            counted.append(at)
    return Reachability(tuple(counted), required, spacing)


class CallbackNotAllowed(PermissionDenied):
    """The acting member of staff may not make this order's callback (no permission, or resolved it)."""


class WithdrawalNotAllowed(PermissionDenied):
    """Cancelling or rejecting a complaint without the complaint:withdraw permission."""


class CallbackRequired(ValidationFailed):
    """A plain close of an order that closes only through its callback."""


class NotYetUnreachable(ValidationFailed):
    """Closing as unreachable before the contact rule is met; says how far it is and when next."""

    def __init__(self, verdict: Reachability, zone: tzinfo) -> None:
        attempts = f"{len(verdict.counted)} of {verdict.required} failed attempts"
        spacing = int(verdict.spacing.total_seconds() // 60)
        if verdict.next_at is not None:
            when = f"; next possible after {verdict.next_at.astimezone(zone):%Y-%m-%d %H:%M}"
        else:
            when = "; record a failed attempt first"
        super().__init__(
            f"outcome: unreachable needs {verdict.required} failed contact attempts at least "
            f"{spacing} minutes apart since the order was resolved: {attempts}{when}",
            field="outcome",
        )
        self.verdict = verdict


@dataclass(frozen=True)
class ContactRule:
    """The configured contact rule, and the zone its "next possible" times are told in."""

    required: int
    spacing: timedelta
    zone: tzinfo


def check_step(
    *,
    order_type: str,
    status: str,
    action: str,
    outcome: str | None,
    reason: str | None,
    actor_id: int | None,
    permissions: frozenset[str],
    resolver: Callable[[], int | None],
    failed_attempts: Callable[[], Iterable[datetime]],
    rule: ContactRule,
) -> str | None:
    """Check the closed loop's rules for an action the state machine allows from `status`; return
    the outcome it records. `resolver` (who resolved the order last) and `failed_attempts` (failed
    attempts since then) are asked only when needed: the services read them from the database, the
    bulk writer from the spec."""
    recorded = step_outcome(action, outcome)
    if action in CALLBACK_ACTIONS or (action == "contact_failed" and status == "resolved"):
        # 001: by the callback seats, never by whoever resolved the order.
        if "ticket:callback" not in permissions:
            raise CallbackNotAllowed(
                "a callback is recorded by a member of staff with the ticket:callback permission "
                "(callback seats, agents, supervisors); technicians and partners cannot"
            )
        if actor_id == resolver():
            raise CallbackNotAllowed("you resolved this work order: its callback is made by someone else")
    if recorded == "unreachable":
        verdict = unreachable_rule(failed_attempts(), required=rule.required, spacing=rule.spacing)
        if not verdict.allowed:
            raise NotYetUnreachable(verdict, rule.zone)
    if action == "close" and needs_callback(order_type):
        raise CallbackRequired(
            f"outcome: a resolved {order_type} closes only through its callback; record the callback "
            "result (satisfied, basically_satisfied, unsatisfied, or unreachable under the contact rule) "
            "instead of a plain close",
            field="outcome",
        )
    if withdrawal_checked(order_type, action):
        if not (reason and reason.strip()):
            raise ValidationFailed(f"reason: to {action} a {order_type} give the reason", field="reason")
        if "complaint:withdraw" not in permissions:
            raise WithdrawalNotAllowed(
                f"to {action} a complaint needs the complaint:withdraw permission "
                "(complaint handlers, supervisors)"
            )
    return recorded


def checked_by(order_type: str, action: str) -> bool:
    """Whether check_step has anything to check for this action on this type."""
    return (
        action in CONTACT_ACTIONS
        or action in CALLBACK_ACTIONS
        or (action == "close" and needs_callback(order_type))
        or withdrawal_checked(order_type, action)
    )
