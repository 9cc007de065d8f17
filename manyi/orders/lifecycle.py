"""The work-order state machine. Pure: (type, status, stage, action) -> (status, stage).

Statuses are TMF621's; stages are Manyi's finer steps inside them. Every rule an operator's staff
meets when they click an action button is here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.errors import IllegalTransition, ValidationFailed

ORDER_TYPES = (
    "complaint",
    "fault",
    "install",
    "remove",
    "move",
    "change",
    "inquiry",
    "callback",
    "proactiveCare",
)
STATUSES = ("acknowledged", "inProgress", "pending", "held", "resolved", "closed", "rejected", "cancelled")
TERMINAL = ("closed", "rejected", "cancelled")
PAUSED = ("pending", "held")  # SLA clocks stop while an order waits on the customer or a third party

# Types whose work happens at the customer's premises: they book an appointment and go on site.
ON_SITE_TYPES = frozenset({"fault", "install", "remove", "move"})
# Complaints owe the customer a formal response (2 working days) before the final answer.
RESPONSE_TYPES = frozenset({"complaint"})
# Simple requests may be answered on the spot, straight from acknowledged.
ANSWER_AT_ONCE_TYPES = frozenset({"inquiry", "callback", "proactiveCare", "change"})
# Stages before the customer was reached: `contact` (a reached customer) moves on to contacted.
NOT_CONTACTED = ("accepted", "extracted")

INITIAL = ("acknowledged", "accepted")
WORKING = "inProgress"
OPEN_STATUSES = ("acknowledged", "inProgress", "pending", "held")
ALL_ACTIONS = (
    "extract",
    "start",
    "reject",
    "contact",
    "contact_failed",
    "pause",
    "hold",
    "transfer",
    "respond",
    "appoint",
    "arrive",
    "resolve",
    "resume",
    "callback_ok",
    "callback_unsatisfied",
    "close",
    "reopen",
    "cancel",
)


@dataclass(frozen=True)
class Step:
    status: str
    stage: str


def _legal(order_type: str, status: str, stage: str) -> dict[str, Step]:
    """Every legal action from (status, stage) for order_type, with where it leads."""
    actions: dict[str, Step] = {}
    if status == "acknowledged":
        if stage == "accepted":
            actions["extract"] = Step("acknowledged", "extracted")
        # Work starts (TMF621 inProgress) without the customer being reached: a status change is
        # not a contact, so the first-contact clock keeps running (DOMAIN "first contact").
        actions["start"] = Step(WORKING, "extracted")
        actions["reject"] = Step("rejected", "rejected")
    if status in ("acknowledged", "inProgress"):
        actions["contact"] = Step(WORKING, "contacted" if stage in NOT_CONTACTED else stage)
        actions["contact_failed"] = Step(status, stage)  # a logged attempt that did not reach the customer
        actions["pause"] = Step("pending", "pending")
        actions["hold"] = Step("held", "held")
        actions["transfer"] = Step(status, stage)
    if status == "inProgress":
        if order_type in RESPONSE_TYPES and stage == "contacted":
            actions["respond"] = Step(WORKING, "responded")
        if order_type in ON_SITE_TYPES and stage in ("contacted", "appointed"):
            actions["appoint"] = Step(WORKING, "appointed")  # booking again is a reschedule
        if order_type in ON_SITE_TYPES and stage == "appointed":
            actions["arrive"] = Step(WORKING, "on_site")
        actions["resolve"] = Step("resolved", "awaiting_callback")
    if status == "acknowledged" and order_type in ANSWER_AT_ONCE_TYPES:
        actions["resolve"] = Step("resolved", "awaiting_callback")
    if status in PAUSED:
        actions["resume"] = Step(WORKING, "")  # the stage before the pause; filled in by apply()
    if status == "resolved":
        # The callback's attempts to reach the customer (the contact rule counts them).
        actions["contact_failed"] = Step(status, stage)
        actions["callback_ok"] = Step("closed", "closed")
        actions["callback_unsatisfied"] = Step(WORKING, "contacted")  # an unhappy callback reopens
        actions["close"] = Step("closed", "closed")
    if status in ("resolved", "closed"):
        actions["reopen"] = Step(WORKING, "contacted")
    if status in OPEN_STATUSES:
        actions["cancel"] = Step("cancelled", "cancelled")
    return actions


def check_type(order_type: str) -> None:
    if order_type not in ORDER_TYPES:
        raise ValidationFailed(
            f"type: expected one of {', '.join(ORDER_TYPES)}, got {order_type!r}", field="type"
        )


def next_actions(order_type: str, status: str, stage: str) -> list[str]:
    """Return the actions legal now, in a stable order."""
    check_type(order_type)
    return sorted(_legal(order_type, status, stage))


def apply(
    order_type: str, status: str, stage: str, action: str, *, stage_before_pause: str | None = None
) -> Step:
    """Return where action leads from (status, stage), or raise IllegalTransition naming the legal ones."""
    check_type(order_type)
    legal = _legal(order_type, status, stage)
    step = legal.get(action)
    if step is None:
        allowed = ", ".join(sorted(legal)) or "none (the order is finished)"
        raise IllegalTransition(
            f"action {action!r} is not allowed for a {order_type} order in {status}/{stage}; allowed: {allowed}"
        )
    if action == "resume":
        # Paused before anyone took it up: resuming takes it up, as `start` does.
        before = stage_before_pause or "contacted"
        return Step(WORKING, "extracted" if before == "accepted" else before)
    return step


def is_reopen(action: str) -> bool:
    return action in ("reopen", "callback_unsatisfied")
