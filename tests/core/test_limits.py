"""manyi.core.limits: whole numbers within 64 bits, ASCII digits only; text without NUL and within
its maximum; and the flush guard that makes SQLite refuse what PostgreSQL refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from manyi.core.errors import BadValue, ValidationFailed
from manyi.core.limits import INT64_MAX, INT64_MIN, TextTooLong, checked_text, is_whole_number, whole_number
from manyi.customers.models import Customer
from manyi.org.models import Department
from tests.fixtures.operator import Operator


@pytest.mark.parametrize("raw", ["²", "٣", "1²", "", " ", "1.5", "0x10", "1e3", "--1", "+-1", "１２"])
def test_anything_but_ascii_digits_is_refused(raw: str) -> None:
    with pytest.raises(BadValue) as refused:
        whole_number(raw, "team.id")
    assert refused.value.message.startswith("team.id: expected a whole number")
    assert refused.value.status == 400


def test_the_64_bit_range_is_the_limit() -> None:
    assert whole_number(str(INT64_MAX), "n") == INT64_MAX
    assert whole_number(str(INT64_MIN), "n") == INT64_MIN
    assert whole_number(" +42 ", "n") == 42
    for raw in (str(INT64_MAX + 1), str(INT64_MIN - 1), "9" * 25, "9" * 5000):
        with pytest.raises(BadValue, match="^n: expected"):
            whole_number(raw, "n")
    assert not is_whole_number("0", low=1) and is_whole_number("1", low=1)


@given(st.integers())
def test_every_integer_in_range_round_trips_and_none_outside(value: int) -> None:
    inside = INT64_MIN <= value <= INT64_MAX
    assert is_whole_number(str(value)) == inside
    if inside:
        assert whole_number(str(value), "n") == value


@given(st.text(max_size=30))
def test_any_text_is_a_number_or_a_bad_value_never_a_crash(raw: str) -> None:
    try:
        value = whole_number(raw, "n")
    except BadValue:
        return
    assert INT64_MIN <= value <= INT64_MAX and str(value) == str(int(raw.strip()))


def test_text_with_nul_or_over_its_maximum_is_refused() -> None:
    assert checked_text("宽带" * 10, "description", max_chars=20) == "宽带" * 10
    with pytest.raises(TextTooLong) as too_long:
        checked_text("宽" * 21, "description", max_chars=20)
    assert too_long.value.max_chars == 20 and too_long.value.status == 422
    assert too_long.value.message == "description: at most 20 characters allowed, got 21"
    with pytest.raises(ValidationFailed, match="NUL"):
        checked_text("a\x00b", "description", max_chars=20)


def test_the_flush_guard_refuses_nul_and_overlong_strings_on_both_databases(session: Session) -> None:
    session.add(Department(name="装维\x00中心", kind="field_own"))
    with pytest.raises(ValidationFailed, match=r"^departments\.name: must not contain a NUL"):
        session.flush()
    session.rollback()
    # String(64): SQLite would store 10,000 characters silently; now both databases refuse it.
    session.add(Department(name="长" * 65, kind="field_own"))
    with pytest.raises(TextTooLong, match=r"^departments\.name: at most 64 characters allowed, got 65"):
        session.flush()
    session.rollback()
    session.add(Department(name="长" * 64, kind="field_own"))
    session.flush()


def test_the_flush_guard_also_checks_changed_rows(session: Session, operator: Operator) -> None:
    customer = session.get(Customer, operator.customer.id)
    assert customer is not None
    customer.name = "x" * 65
    with pytest.raises(TextTooLong, match=r"^customers\.name"):
        session.flush()
