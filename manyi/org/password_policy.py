"""The password policy: one pure check, used by the admin API, the console and `manyi user add`.

Rules (NIST SP 800-63B style: length and a block list rather than composition rules):
at least MIN_LENGTH and at most MAX_LENGTH characters, not only whitespace, no control or other
invisible format characters, not one of the 30,000 most common passwords, and not the user name nor
containing it (case-insensitive). The common-password list is the one shipped in the `zxcvbn` package
(MIT licence; the 30,000 most frequent passwords of Mark Burnett's 10-million-password set).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache

MIN_LENGTH = 10
MAX_LENGTH = 256
# A user name this short ("li") is inside too many good passwords to forbid; equality still counts.
MIN_NAME_TO_MATCH = 3

# Each rule's sentence, in English (console message ids, translated in the admin catalog) and in
# Chinese for the API and CLI, which have no catalogs: their errors carry both languages.
RULES: dict[str, tuple[str, str]] = {
    "control": (
        "The password must not contain control or invisible characters.",
        "密码不能包含控制字符或不可见字符",
    ),
    "blank": ("The password must not be only spaces.", "密码不能全是空格"),
    "short": ("The password needs at least %(n)s characters.", "密码至少需要 %(n)s 个字符"),
    "long": ("The password may have at most %(n)s characters.", "密码最多 %(n)s 个字符"),
    "username": (
        "The password must not be or contain the user name.",
        "密码不能是用户名，也不能包含用户名",
    ),
    "common": (
        "This password is among the most common passwords; choose another.",
        "该密码属于最常见的密码，请换一个",
    ),
}


@dataclass(frozen=True)
class PasswordProblem:
    """Which rule a password breaks, with the numbers its message needs."""

    rule: str
    params: dict[str, int] = field(default_factory=dict)

    @property
    def english(self) -> str:
        return RULES[self.rule][0] % self.params

    @property
    def message(self) -> str:
        """The API/CLI error: field name, English sentence, Chinese sentence."""
        return f"password: {self.english} ({RULES[self.rule][1] % self.params})"


@cache
def common_passwords() -> frozenset[str]:
    """The block list, lower-cased (loaded on first use: importing it costs a few milliseconds)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, username: str | None = None) -> PasswordProblem | None:
    """The first rule the password breaks, or None when it is acceptable."""
    if any(unicodedata.category(ch).startswith("C") for ch in password):
        return PasswordProblem("control")  # NUL, tabs, newlines, zero-width and other invisible characters
    if password and not password.strip():
        return PasswordProblem("blank")
    if len(password) < MIN_LENGTH:
        return PasswordProblem("short", {"n": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        return PasswordProblem("long", {"n": MAX_LENGTH})
    folded = password.casefold()
    name = (username or "").strip().casefold()
    if name and (folded == name or (len(name) >= MIN_NAME_TO_MATCH and name in folded)):
        return PasswordProblem("username")
    if folded in common_passwords() or folded.strip() in common_passwords():
        return PasswordProblem("common")
    return None
