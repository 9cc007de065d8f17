"""The closed loop's pure rules: outcomes of contact attempts, callback results, and the contact rule
(three failed attempts two hours apart before a customer counts as unreachable)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from manyi.core.errors import ValidationFailed
from manyi.orders import closed_loop as cl
from manyi.orders import lifecycle

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)


def _at(*minutes: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_three_failed_attempts_two_hours_apart_make_a_customer_unreachable() -> None:
    verdict = cl.unreachable_rule(_at(0, 120, 240), required=3, spacing=TWO_HOURS)
    assert verdict.allowed and verdict.next_at is None and len(verdict.counted) == 3


def test_attempts_closer_than_two_hours_do_not_count_and_the_next_possible_time_is_given() -> None:
    verdict = cl.unreachable_rule(_at(0, 30, 119, 125), required=3, spacing=TWO_HOURS)
    assert not verdict.allowed
    assert verdict.counted == tuple(_at(0, 125))  # 30 and 119 are too soon after 0
    assert verdict.next_at == T0 + timedelta(minutes=245)


def test_no_attempt_yet_has_no_next_time() -> None:
    verdict = cl.unreachable_rule([], required=3, spacing=TWO_HOURS)
    assert not verdict.allowed and verdict.counted == () and verdict.next_at is None


def test_attempts_are_counted_whatever_order_they_are_given_in() -> None:
    verdict = cl.unreachable_rule(list(reversed(_at(0, 120, 240))), required=3, spacing=TWO_HOURS)
    assert verdict.allowed


def test_the_rule_is_configurable() -> None:
    assert cl.unreachable_rule(_at(0, 60), required=2, spacing=timedelta(hours=1)).allowed
    assert not cl.unreachable_rule(_at(0, 59), required=2, spacing=timedelta(hours=1)).allowed


def _longest_chain(times: list[datetime], spacing: timedelta) -> int:
    """The most attempts any choice could count: every subset tried (the rule's definition)."""
    best = 0
    for size in range(len(times), 0, -1):
        for subset in itertools.combinations(sorted(times), size):
            if all(b - a >= spacing for a, b in itertools.pairwise(subset)):
                return size
    return best


def test_greedy_counting_counts_as_many_as_any_choice_of_attempts() -> None:
    rng = random.Random(35)
    for _ in range(400):
        times = _at(*(rng.randrange(0, 600, 5) for _ in range(rng.randint(0, 7))))
        verdict = cl.unreachable_rule(times, required=3, spacing=TWO_HOURS)
        assert len(verdict.counted) == _longest_chain(times, TWO_HOURS)
        assert all(b - a >= TWO_HOURS for a, b in itertools.pairwise(verdict.counted))


@pytest.mark.parametrize(
    ("action", "given", "recorded"),
    [
        ("contact", None, "reached"),
        ("contact", "reached", "reached"),
        ("contact_failed", None, "not_reached"),
        ("contact_failed", "wrong_number", "wrong_number"),
        ("callback_ok", None, "satisfied"),
        ("callback_ok", "basically_satisfied", "basically_satisfied"),
        ("callback_ok", "unreachable", "unreachable"),
        ("callback_unsatisfied", None, "unsatisfied"),
        ("resolve", None, None),
    ],
)
def test_each_action_records_its_outcome(action: str, given: str | None, recorded: str | None) -> None:
    assert cl.step_outcome(action, given) == recorded


@pytest.mark.parametrize(
    ("action", "given"),
    [
        ("contact", "not_reached"),
        ("contact_failed", "reached"),
        ("contact_failed", "busy"),
        ("callback_ok", "unsatisfied"),
        ("callback_unsatisfied", "satisfied"),
        ("close", "satisfied"),
        ("resolve", "reached"),
    ],
)
def test_an_outcome_that_does_not_fit_the_action_is_refused(action: str, given: str) -> None:
    with pytest.raises(ValidationFailed, match="^outcome: ") as raised:
        cl.step_outcome(action, given)
    assert raised.value.field == "outcome"


def test_outcomes_and_results_map_onto_the_lifecycle_actions() -> None:
    assert {o: cl.contact_action(o) for o in cl.CONTACT_OUTCOMES} == {
        "reached": "contact",
        "not_reached": "contact_failed",
        "wrong_number": "contact_failed",
    }
    assert {r: cl.callback_action(r) for r in cl.CALLBACK_RESULTS} == {
        "satisfied": "callback_ok",
        "basically_satisfied": "callback_ok",
        "unreachable": "callback_ok",
        "unsatisfied": "callback_unsatisfied",
    }
    for mapped in {
        *map(cl.contact_action, cl.CONTACT_OUTCOMES),
        *map(cl.callback_action, cl.CALLBACK_RESULTS),
    }:
        assert mapped in lifecycle.ALL_ACTIONS
    with pytest.raises(ValidationFailed, match="outcome: expected one of reached, not_reached, wrong_number"):
        cl.contact_action("voicemail")
    with pytest.raises(ValidationFailed, match="outcome: expected one of satisfied, basically_satisfied"):
        cl.callback_action("happy")


def test_only_complaints_close_only_through_a_callback_and_need_a_decision_to_withdraw() -> None:
    assert [t for t in lifecycle.ORDER_TYPES if cl.needs_callback(t)] == ["complaint"]
    assert cl.withdrawal_checked("complaint", "cancel") and cl.withdrawal_checked("complaint", "reject")
    assert not cl.withdrawal_checked("complaint", "close") and not cl.withdrawal_checked("fault", "cancel")
