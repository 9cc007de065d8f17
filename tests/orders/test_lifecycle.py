"""Every legal and illegal transition of the work-order state machine, for every order type."""

from __future__ import annotations

import itertools

import pytest

from manyi.core.errors import IllegalTransition, ValidationFailed
from manyi.orders import lifecycle as lc

STAGES = {
    "acknowledged": ("accepted", "extracted"),
    "inProgress": ("extracted", "contacted", "responded", "appointed", "on_site"),
    "pending": ("pending",),
    "held": ("held",),
    "resolved": ("awaiting_callback",),
    "closed": ("closed",),
    "rejected": ("rejected",),
    "cancelled": ("cancelled",),
}
ACTIONS = [
    "extract",
    "start",
    "contact",
    "contact_failed",
    "respond",
    "appoint",
    "arrive",
    "pause",
    "hold",
    "resume",
    "resolve",
    "callback_ok",
    "callback_unsatisfied",
    "close",
    "reopen",
    "reject",
    "cancel",
    "transfer",
]


# The whole table, written out independently of the implementation: (type set, status, stage) -> action -> target.
def expected(order_type: str, status: str, stage: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    open_ = status in ("acknowledged", "inProgress", "pending", "held")
    if status == "acknowledged":
        if stage == "accepted":
            out["extract"] = ("acknowledged", "extracted")
        out["start"] = ("inProgress", "extracted")  # work starts; the customer is not reached yet
        out["reject"] = ("rejected", "rejected")
        out["contact"] = ("inProgress", "contacted")
        if order_type in ("inquiry", "callback", "proactiveCare", "change"):
            out["resolve"] = ("resolved", "awaiting_callback")
    if status == "inProgress":
        # Only a reached customer moves a not-yet-contacted order to contacted.
        out["contact"] = ("inProgress", "contacted" if stage == "extracted" else stage)
        out["resolve"] = ("resolved", "awaiting_callback")
        if order_type == "complaint" and stage == "contacted":
            out["respond"] = ("inProgress", "responded")
        if order_type in ("fault", "install", "remove", "move"):
            if stage in ("contacted", "appointed"):
                out["appoint"] = ("inProgress", "appointed")
            if stage == "appointed":
                out["arrive"] = ("inProgress", "on_site")
    if status in ("acknowledged", "inProgress"):
        out["contact_failed"] = (status, stage)
        out["transfer"] = (status, stage)
        out["pause"] = ("pending", "pending")
        out["hold"] = ("held", "held")
    if status in ("pending", "held"):
        out["resume"] = ("inProgress", "appointed")  # stage_before_pause given below
    if status == "resolved":
        out["contact_failed"] = ("resolved", "awaiting_callback")  # the callback's failed attempts
        out["callback_ok"] = ("closed", "closed")
        out["close"] = ("closed", "closed")
        out["callback_unsatisfied"] = ("inProgress", "contacted")
    if status in ("resolved", "closed"):
        out["reopen"] = ("inProgress", "contacted")
    if open_:
        out["cancel"] = ("cancelled", "cancelled")
    return out


CASES = [
    (t, status, stage, action)
    for t in lc.ORDER_TYPES
    for status, stages in STAGES.items()
    for stage, action in itertools.product(stages, ACTIONS)
]


@pytest.mark.parametrize(("order_type", "status", "stage", "action"), CASES)
def test_transition_table(order_type: str, status: str, stage: str, action: str) -> None:
    want = expected(order_type, status, stage).get(action)
    if want is None:
        with pytest.raises(IllegalTransition, match=f"action '{action}' is not allowed"):
            lc.apply(order_type, status, stage, action, stage_before_pause="appointed")
    else:
        step = lc.apply(order_type, status, stage, action, stage_before_pause="appointed")
        assert (step.status, step.stage) == want


def test_next_actions_match_the_table() -> None:
    for order_type, (status, stages) in itertools.product(lc.ORDER_TYPES, STAGES.items()):
        for stage in stages:
            assert lc.next_actions(order_type, status, stage) == sorted(expected(order_type, status, stage))


def test_terminal_states_offer_only_reopen_from_closed() -> None:
    assert lc.next_actions("fault", "closed", "closed") == ["reopen"]
    assert lc.next_actions("fault", "cancelled", "cancelled") == []
    with pytest.raises(IllegalTransition, match="none \\(the order is finished\\)"):
        lc.apply("fault", "rejected", "rejected", "reopen")


def test_error_lists_the_legal_actions() -> None:
    with pytest.raises(
        IllegalTransition, match="allowed: callback_ok, callback_unsatisfied, close, contact_failed, reopen"
    ):
        lc.apply("install", "resolved", "awaiting_callback", "arrive")


def test_unknown_type_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="type: expected one of complaint"):
        lc.next_actions("upgrade", "acknowledged", "accepted")


def test_all_actions_lists_every_action_the_machine_knows() -> None:
    from manyi.orders import lifecycle

    seen: set[str] = set()
    for order_type in lifecycle.ORDER_TYPES:
        for status in lifecycle.STATUSES:
            for stage in ("accepted", "extracted", "contacted", "responded", "appointed", "on_site", status):
                seen.update(lifecycle._legal(order_type, status, stage))
    assert seen == set(lifecycle.ALL_ACTIONS)


def test_a_status_change_to_in_progress_is_not_a_contact() -> None:
    """`start` (TMF621 PATCH status inProgress) leaves the order not contacted; only `contact` moves
    it to the contacted stage, which is what meets the first-contact clock."""
    from manyi.sla.rules import clock_met

    for order_type in lc.ORDER_TYPES:
        for stage in ("accepted", "extracted"):
            started = lc.apply(order_type, "acknowledged", stage, "start")
            assert (started.status, started.stage) == ("inProgress", "extracted")
            assert not clock_met("first_contact", started.status, started.stage)
            reached = lc.apply(order_type, started.status, started.stage, "contact")
            assert reached.stage == "contacted" and clock_met("first_contact", reached.status, reached.stage)
            failed = lc.apply(order_type, started.status, started.stage, "contact_failed")
            assert not clock_met("first_contact", failed.status, failed.stage)


def test_resuming_a_pause_taken_before_work_started_starts_it() -> None:
    step = lc.apply("fault", "pending", "pending", "resume", stage_before_pause="accepted")
    assert (step.status, step.stage) == ("inProgress", "extracted")
