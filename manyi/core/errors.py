"""Domain errors. Each carries the HTTP status it maps to, so the API maps them in one place."""

from __future__ import annotations

from collections.abc import Mapping


class ManyiError(Exception):
    """Base of every error a user may see: one clear sentence, no traceback."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message  # the API's sentence (English, for developers and logs)
        self.field = field
        # What a person reads: an entry of manyi.core.error_texts.TEXTS and its values; pages
        # translate the entry, so a Chinese page never shows the developer sentence.
        self.key = key
        self.params: dict[str, object] = dict(params or {})


class BadValue(ManyiError):
    """A malformed value in the request itself: a query parameter, a path id, a number out of range."""

    status = 400
    code = "bad_request"


class ValidationFailed(ManyiError):
    status = 422
    code = "invalid"


class NotFound(ManyiError):
    status = 404
    code = "not_found"


class Conflict(ManyiError):
    status = 409
    code = "conflict"


class StaleVersion(ManyiError):
    status = 412
    code = "precondition_failed"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class PermissionDenied(ManyiError):
    status = 403
    code = "forbidden"


class CalendarDataMissing(ManyiError):
    """The calendar has no official schedule for a year the computation needs."""

    status = 409
    code = "calendar_data_missing"

    def __init__(self, calendar: str, year: int) -> None:
        super().__init__(
            f"calendar {calendar!r} has no holiday schedule for {year}; "
            f"load it with `manyi calendar load-year {year} FILE`"
        )
        self.calendar = calendar
        self.year = year
