"""A domain error as the sentence a person reads, in the page's language (issue 12: no developer
English on a Chinese page). The error names a catalogue entry and its values; see
manyi.core.error_texts."""

from __future__ import annotations

from collections.abc import Callable

from manyi.core.error_texts import TEXTS
from manyi.core.errors import ManyiError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _shown(name: str, value: object, gettext: Callable[[str], str]) -> str:
    if name.endswith("_minutes") and isinstance(value, int):
        hours, minutes = divmod(value, 60)
        return f"{hours:02d}:{minutes:02d}"
    if name.endswith("_weekday") and isinstance(value, int) and 0 <= value < 7:
        return gettext(WEEKDAY_NAMES[value])
    return str(value)


def error_text(error: ManyiError, gettext: Callable[[str], str]) -> str | None:
    """The translated sentence of an error that names a catalogue entry, else None."""
    template = TEXTS.get(error.key or "")
    if template is None:
        return None
    values = {name: _shown(name, value, gettext) for name, value in error.params.items()}
    try:
        return gettext(template) % values
    except (KeyError, ValueError, TypeError):  # a translation naming a value the error lacks
        return template % values if values or "%(" not in template else template


def user_message(error: ManyiError, gettext: Callable[[str], str]) -> str:
    """The sentence to show: the catalogue's in the page's language, else the service's own."""
    return error_text(error, gettext) or error.message
