"""Limits on what any caller may hand Manyi: whole numbers a database column can hold, text of a
sensible length, no NUL characters. One owner for each maximum: the API schemas, the console forms
and the services import them from here, so the CLI, the console and the API refuse the same input.

Text maxima are in characters (a Chinese character counts one) and chosen for a call centre: an
agent types a caller's problem in a few sentences; a page of text (4,000 characters) is far more
than any real description or note, and small enough that a list of 100 orders stays a few MB.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, inspect
from sqlalchemy.orm import Session

from manyi.core.errors import BadValue, ValidationFailed

# Every integer column (ids, counts, levels) is at most 64 bits on both databases: a larger number
# cannot name a row, and SQLite refuses to even bind one (OverflowError, not a database error).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

TITLE_MAX = 200  # an order's title / TMF `name` (the column is String(200))
DESCRIPTION_MAX = 4000  # what the customer reports
NOTE_MAX = 4000  # one note on an order
RESOLUTION_MAX = 2000  # how an order was resolved, as told to the customer
REASON_MAX = 500  # why an order was paused, held, rejected, transferred (TMF statusChangeReason)
QUERY_VALUE_MAX = 2000  # one query-string parameter value (a filter, an OR-list of ids, a search box)


def whole_number(raw: str, field: str, *, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """raw as an integer from low to high, refused with a 400 naming field otherwise. ASCII digits
    only: '²' and '٣' are digits to str.isdigit() but int() refuses the first and reads the second."""
    text = raw.strip()
    digits = text[1:] if text[:1] in ("-", "+") else text
    if not (digits.isascii() and digits.isdigit()):
        raise BadValue(f"{field}: expected a whole number, got {_shown(raw)}", field=field)
    # Beyond 19 digits it is out of any column's range; int() of a huge string would also be slow.
    value = int(text) if len(digits) <= 19 else None
    if value is None or not low <= value <= high:
        raise BadValue(f"{field}: expected {low} to {high}, got {_shown(text)}", field=field)
    return value


def is_whole_number(raw: str, *, low: int = INT64_MIN, high: int = INT64_MAX) -> bool:
    """True when raw would pass whole_number (for lenient parsers that ignore a bad value)."""
    try:
        whole_number(raw, "value", low=low, high=high)
    except BadValue:
        return False
    return True


def checked_text(value: str, field: str, *, max_chars: int) -> str:
    """value when it has no NUL character and at most max_chars characters; else ValidationFailed."""
    if "\x00" in value:
        raise ValidationFailed(f"{field}: must not contain a NUL character", field=field)
    if len(value) > max_chars:
        raise TextTooLong(field, max_chars, len(value))
    return value


class TextTooLong(ValidationFailed):
    """A text longer than its field allows; the console words it with max_chars in the user's language."""

    def __init__(self, field: str, max_chars: int, length: int) -> None:
        super().__init__(f"{field}: at most {max_chars} characters allowed, got {length}", field=field)
        self.max_chars = max_chars


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def _check_row(obj: Any) -> None:
    """Refuse NUL characters in any text column and text longer than a String(n) column allows.

    PostgreSQL refuses both (a NUL in any text; n + 1 characters in varchar(n)), SQLite stores both
    silently: this makes the two databases refuse the same rows, with the field named, before the
    database sees them. It runs for objects flushed through the unit of work; the hot paths that
    insert rows directly (order creation, the bulk writer) check their text themselves."""
    mapper = inspect(obj).mapper
    state = inspect(obj)
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if not isinstance(column.type, String):
            continue
        value = state.dict.get(attr.key)
        if not isinstance(value, str):
            continue
        field = f"{mapper.local_table.name}.{column.name}"
        if "\x00" in value:
            raise ValidationFailed(f"{field}: must not contain a NUL character", field=column.name)
        length = column.type.length
        if length is not None and len(value) > length:
            error = TextTooLong(field, length, len(value))
            error.field = column.name
            raise error


def check_flushed_text(session: Session, _context: Any, _instances: Any) -> None:
    """A before_flush listener (installed by manyi.core.db on every session): see _check_row."""
    for obj in (*session.new, *session.dirty):
        _check_row(obj)
