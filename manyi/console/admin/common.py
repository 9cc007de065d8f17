"""What the admin pages share: the two rights (config:read to look, config:write to change), turning
a domain error into a message next to its form field, saving a posted form, small form parsers, and
the change log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.responses import Response

from manyi.console.deps import Page, page_number, query_int

__all__ = ["page_number"]  # the admin lists' page parameter, shared with every console list
from manyi.core.errors import Conflict, ManyiError
from manyi.core.logging import get_logger

log = get_logger(__name__)
PAGE_SIZE = 50
Saved = TypeVar("Saved")


class FormError(Exception):
    """Bad input found by the page itself (before any service is called): field -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def can_view(p: Page) -> None:
    p.require("config:read")


def can_change(p: Page) -> None:
    p.require("config:write")


# The services' messages are English and name the bad value; for the usual mistakes the page leads
# with a sentence in the user's language and keeps the service's detail in brackets.
EXPLAINED = {
    "conflict:username": "This user name is already taken.",
    "region": "Unknown region code.",
    "regionCode": "Unknown region code.",
    "regionCodes": "Unknown region code.",
    "categoryPath": "No category has this path.",
    "categoryPathPrefixes": "No category has this path.",
    "code": "Use capital letters, digits, '.', '_' or '-', not used by another category.",
    "conflict:name": "This name is already used.",
    "roles": "You cannot change your own roles, regions or active flag.",
    "regions": "You cannot change your own roles, regions or active flag.",
    "active": "You cannot change your own roles, regions or active flag.",
    "date": "Choose a date within the years the calendar covers.",
    "hours": "Working hours must be within the day, in order and not overlapping.",
    "targets": "Check the time limits.",
}


def errors_of(p: Page, exc: ManyiError, fields: dict[str, str], default: str) -> dict[str, str]:
    """The domain's message placed next to the form field it concerns. Services name fields in the
    API's spelling (displayName, regionCode, …); `fields` maps those to this form's input names.
    Rolls back first: a caught error must leave nothing half-changed in the unit of work."""
    p.session.rollback()
    field = fields.get(exc.field or "", exc.field or default)
    key = f"conflict:{exc.field}" if isinstance(exc, Conflict) else exc.field or ""
    explained = EXPLAINED.get(key)
    message = f"{p.gettext(explained)} ({exc.message})" if explained else p.gettext(exc.message)
    return {field: message}


def submit(
    p: Page,
    errors: dict[str, str],
    *,
    save: Callable[[], Saved],
    form_page: Callable[[dict[str, str]], Response],
    fields: dict[str, str],
    default: str,
) -> Saved | Response:
    """Save a posted form with `save`, or show it again (`form_page`) with the errors by their fields."""
    # `errors` are what the page itself found in the input: with any, the service is not called. The
    # caller returns a Response as it is, and records and redirects with what `save` returned.
    if errors:
        return form_page(errors)
    try:
        return save()
    except ManyiError as exc:
        return form_page(errors_of(p, exc, fields, default))


def changed(p: Page, action: str, resource: str, **details: Any) -> None:
    """Record who changed which admin resource (the same event the REST admin API logs)."""
    log.info(
        "admin_change",
        user=p.principal.username,
        user_id=p.principal.user_id,
        action=action,
        resource=resource,
        via="console",
        **details,
    )


def words(value: str) -> list[str]:
    """A comma/space separated list typed in a text box ("330106, 330100")."""
    return [w for w in value.replace("，", ",").replace(",", " ").split() if w]


def optional_int(p: Page, value: str, field: str, errors: dict[str, str]) -> int | None:
    if not value.strip():
        return None
    number = query_int(value, low=-(10**9), high=10**9)
    if number is None:
        errors[field] = p.gettext("Enter a whole number.")
    return number
