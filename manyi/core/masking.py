"""PII masking for roles without the PII permission (`pii:read`): phone numbers and ID numbers are
shown masked wherever they appear, and may not be used as search keys. Pure functions; the rules
are written down in docs/privacy.md."""

from __future__ import annotations

import re
from typing import Any

from manyi.core.errors import PermissionDenied

MOBILE_NUMBER = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
# A mobile number (with a +86 prefix, spaces or dashes as agents type them) or a resident ID number
# inside free text: not part of a longer run of letters or digits (order numbers, tokens, card numbers).
_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?![0-9A-Za-z])"
)
_SEPARATORS = re.compile(r"[\s-]")


class PiiSearchRefused(PermissionDenied):
    """A role without pii:read searched by a full phone or ID number."""


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number as 138****5678."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(id_number: str | None) -> str | None:
    """Mask an ID-card number, keeping the first 6 and last 4 characters."""
    if not id_number:
        return id_number
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * (len(id_number) - 10)}{id_number[-4:]}"


def mask_service_number(number: str | None, product: str | None) -> str | None:
    """A subscription's service number: a mobile line's is its phone number (masked); a broadband or
    IPTV account number is no phone and stays whole, unless it looks like one."""
    if not number:
        return number
    if ID_NUMBER.match(number):
        return mask_id_number(number)
    if product == "mobile" or MOBILE_NUMBER.match(number):
        return mask_phone(number)
    return number


def _masked_match(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) == 18 and ID_NUMBER.match(text):
        return mask_id_number(text) or ""
    digits = _SEPARATORS.sub("", text)[-11:]
    return mask_phone(digits) or ""


def mask_text(text: str | None) -> str | None:
    """Free text (a description, a note, a log line) with every mobile and ID number in it masked."""
    if not text:
        return text
    return _IN_TEXT.sub(_masked_match, text)


def mask_values(value: Any) -> Any:
    """mask_text over every string in a JSON-like value (dicts, lists, tuples), keys left alone."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_values(v) for v in value)
    return value


def is_pii_key(text: str) -> bool:
    """Whether a search text is a full mobile or ID number, written with spaces, dashes or +86."""
    folded = _SEPARATORS.sub("", text.strip())
    if folded.startswith("+86") or (folded.startswith("86") and len(folded) == 13):
        folded = folded[3:] if folded.startswith("+") else folded[2:]
    return bool(MOBILE_NUMBER.match(folded) or ID_NUMBER.match(folded))


def check_search(text: str, *, pii: bool) -> None:
    """Refuse a full phone or ID number as a search key to a role without pii:read: turning one into
    a name and orders would reveal what masking hides."""
    if not pii and is_pii_key(text):
        raise PiiSearchRefused("searching by a full phone or ID number needs the pii:read permission")
