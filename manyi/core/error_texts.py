"""The catalogue of error sentences people read: a domain error names one entry (its `key`) and the
values it needs (`params`); the console translates the entry (zh-CN catalog `errors.po`) and fills
them in. Message ids are English sentences, as everywhere in the console's catalogs.

A parameter whose name ends in `_minutes` is a time of day in minutes (shown as 09:30); one ending
in `_weekday` is a weekday number, Monday = 0 (shown as its name); others are shown as given."""

from __future__ import annotations

from typing import Final


def _(message: str) -> str:
    """Mark a sentence for the catalog extractor; translation happens where it is shown."""
    return message


TEXTS: Final[dict[str, str]] = {
    "username.format": _("A user name has 1 to 64 characters and no spaces."),
    "name.length": _("A name has 1 to 64 characters."),
    "region.unknown": _("Unknown region code “%(code)s”: choose a region from the list."),
    "team.unknown": _("Unknown team: choose a team from the list."),
    "role.unknown": _("Unknown role “%(role)s”: choose from the roles offered."),
    "role.missing": _("Choose at least one role."),
    "calendar.unknown": _("Unknown calendar “%(calendar)s”."),
    "hours.range": _(
        "Working hours %(start_minutes)s-%(end_minutes)s must lie within the day (00:00-24:00) and end after they start."
    ),
    "hours.weekday_range": _(
        "%(day_weekday)s: working hours %(start_minutes)s-%(end_minutes)s must lie within the day (00:00-24:00) and end after they start."
    ),
    "hours.overlap": _("Working hours overlap at %(at_minutes)s."),
    "hours.format": _("Enter hours as 09:00-12:00, 13:30-18:00."),
    "search.empty": _("Set at least one filter before saving the search."),
    "search.too_many": _("You can keep at most %(max)s saved searches; delete one first."),
    "appointment.required": _("Choose the appointment date and time."),
    "appointment.past": _(
        "The appointment time %(appointment)s has already passed; choose a time from now on."
    ),
    "arrival.early": _(
        "The appointment is at %(appointment)s: arriving more than %(hours)s hours earlier needs a note saying why (for example, the customer agreed)."
    ),
}
