"""The free texts of a work order and their maxima (manyi.core.limits): every service that stores
one checks it here, so the API, the console, the CLI and the jobs refuse the same text."""

from __future__ import annotations

from manyi.core.errors import ValidationFailed
from manyi.core.limits import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    REASON_MAX,
    RESOLUTION_MAX,
    TITLE_MAX,
    checked_text,
)

# Field name as errors name it -> at most this many characters.
MAXIMA = {
    "description": DESCRIPTION_MAX,
    "name": TITLE_MAX,  # the order's title (TMF `name`)
    "text": NOTE_MAX,  # a note
    "reason": REASON_MAX,
    "resolution": RESOLUTION_MAX,
    "resolution_code": 32,  # the column's width
    "external_id": 64,
    "idempotency_key": 128,
}
# Notes on one order: far more than any real case needs, and it keeps one ticket's document (every
# note travels with it) within a few MB.
MAX_NOTES_PER_ORDER = 200


def check_texts(**values: str | None) -> None:
    """Refuse the first given text that holds a NUL character or is longer than its maximum."""
    for field, value in values.items():
        if value is not None:
            checked_text(value, field, max_chars=MAXIMA[field])


def check_note_room(note_count: int) -> None:
    if note_count >= MAX_NOTES_PER_ORDER:
        raise ValidationFailed(
            f"text: an order holds at most {MAX_NOTES_PER_ORDER} notes; this one is full", field="text"
        )
