"""The password policy (pure): each rule, with the passwords the security probe got accepted."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.demo.organisation import DEMO_PASSWORD
from manyi.org.password_policy import MAX_LENGTH, MIN_LENGTH, RULES, password_problem
from tests.fixtures.users import PASSWORD as TEST_PASSWORD


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("12345678", "short"),  # the probe's four: all accepted before
        ("password", "short"),
        (" " * 8, "blank"),
        ("\0" * 8, "control"),
        (" " * 12, "blank"),
        ("\0" * 12, "control"),
        ("good-pass\nword", "control"),
        ("good\u200bpassword", "control"),  # zero-width space: invisible when typed or shown
        ("tab\there-long", "control"),
        ("abc-12345", "short"),
        ("x" * (MAX_LENGTH + 1), "long"),
        ("1234567890", "common"),
        ("qwertyuiop", "common"),
        ("Password123", "common"),  # the list is compared case-insensitively
        ("ILOVEYOU12", "common"),
        ("zhangwei-2024", "username"),
        ("ZhangWei-2024", "username"),
        ("x-zhangwei-x", "username"),
    ],
)
def test_each_rule_refuses_what_it_names(password: str, rule: str) -> None:
    problem = password_problem(password, username="zhangwei")
    assert problem is not None and problem.rule == rule, problem


def test_the_password_equal_to_the_user_name_is_refused_however_long() -> None:
    assert password_problem("Administrator", username="administrator").rule == "username"  # type: ignore[union-attr]


def test_a_very_short_user_name_is_only_refused_when_equal() -> None:
    # "li" is inside too many good passwords to forbid them all
    assert password_problem("little-garden-7", username="li") is None


@pytest.mark.parametrize(
    "password",
    [
        DEMO_PASSWORD,
        TEST_PASSWORD,
        "s3cret-pass-1",
        "longenough1",
        "new-pass-123",
        "这是一句很长的中文密码",
        "x" * MAX_LENGTH,
    ],
)
def test_the_demo_test_and_reasonable_passwords_pass(password: str) -> None:
    assert len(password) >= MIN_LENGTH
    for username in ("admin", "agent1", "supervisor1", "tech1", "zhangwei"):
        assert password_problem(password, username=username) is None, (password, username)


def test_messages_name_the_rule_in_english_and_chinese() -> None:
    problem = password_problem("short", username="x")
    assert problem is not None
    assert problem.message == (
        f"password: The password needs at least {MIN_LENGTH} characters. (密码至少需要 {MIN_LENGTH} 个字符)"
    )
    for rule, (english, chinese) in RULES.items():
        assert english and chinese and rule


@given(st.text(max_size=40))
def test_an_accepted_password_keeps_every_rule(password: str) -> None:
    if password_problem(password, username="wangfang") is None:
        assert MIN_LENGTH <= len(password) <= MAX_LENGTH
        assert password.strip()
        assert not any(unicodedata.category(ch).startswith("C") for ch in password)
        assert "wangfang" not in password.casefold()
