"""Pure rules of the event hub: subscription queries, event-name mapping and callback URLs. No I/O.

A subscription query is TMF630-style `attribute=value[,value…]` conditions joined by `&`, over the
whole event document: `eventType=TroubleTicketStatusChangeEvent,TroubleTicketResolvedEvent` or
`event.troubleTicket.severity=critical&event.troubleTicket.status=resolved`. Values separated by
commas are alternatives (OR), conditions are all required (AND), an empty query admits every event.
Values are compared literally (no URL decoding: a `+86…` phone number stays a `+`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from manyi.core.errors import ValidationFailed

MAX_CALLBACK = 2048
MAX_QUERY = 1024
_SEGMENT = re.compile(r"^[@A-Za-z_][@A-Za-z0-9_\-]*$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")  # control characters and spaces have no place in a URL
_QUERY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Condition:
    """The attribute at `path` (dotted, over the event document) must equal one of `values`."""

    path: tuple[str, ...]
    values: frozenset[str]


def parse_query(query: str | None) -> tuple[Condition, ...]:
    """Parse a subscription query; raise ValidationFailed naming `query` and the malformed part."""
    text = (query or "").strip()
    if text.startswith("?"):
        text = text[1:]
    if len(text) > MAX_QUERY:
        raise ValidationFailed(f"query: at most {MAX_QUERY} characters", field="query")
    if _QUERY_CONTROL.search(text):
        raise ValidationFailed("query: control characters are not allowed", field="query")
    conditions: list[Condition] = []
    for part in text.split("&"):
        if not part.strip():
            continue  # a stray or trailing '&'
        key, equals, raw = part.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ValidationFailed(
                f"query: expected attribute=value (e.g. eventType=TroubleTicketCreateEvent), got {part!r}",
                field="query",
            )
        path = tuple(key.split("."))
        if not all(_SEGMENT.match(segment) for segment in path):
            raise ValidationFailed(
                f"query: {key!r} is not a dotted attribute name (e.g. event.troubleTicket.severity)",
                field="query",
            )
        values = frozenset(v.strip() for v in raw.split(",") if v.strip())
        if not values:
            raise ValidationFailed(f"query: {key}= needs at least one value", field="query")
        conditions.append(Condition(path, values))
    return tuple(conditions)


def _as_text(value: Any) -> str | None:
    """JSON scalars as a query writes them: true/false, null, 3, 2.5, text; containers have none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _found(document: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at path; a list on the way means any of its elements (relatedParty.role=…)."""
    if isinstance(document, list):
        return [v for item in document for v in _found(item, path)]
    if not path:
        return [document]
    if isinstance(document, Mapping) and path[0] in document:
        return _found(document[path[0]], path[1:])
    return []


def matches(conditions: tuple[Condition, ...], event: Mapping[str, Any]) -> bool:
    """True when every condition finds one of its values at its path in the event document."""
    return all(
        any(_as_text(value) in condition.values for value in _found(event, condition.path))
        for condition in conditions
    )


def event_types_named(conditions: tuple[Condition, ...]) -> frozenset[str]:
    """The event types a query's `eventType` conditions mention (to check them against the API's)."""
    return frozenset(v for c in conditions if c.path == ("eventType",) for v in c.values)


def listener_name(event_type: str) -> str:
    """The listener path segment of an event type: TroubleTicketCreateEvent -> troubleTicketCreateEvent."""
    return event_type[:1].lower() + event_type[1:]


def check_callback(callback: str) -> str:
    """Return the callback base URL without a trailing slash; raise ValidationFailed naming `callback`."""
    url = (callback or "").strip()
    expected = "expected an http(s) base URL such as https://crm.example.com/tmf (events go to {callback}/listener/{eventName})"
    if not url:
        raise ValidationFailed(f"callback: {expected}", field="callback")
    if len(url) > MAX_CALLBACK:
        raise ValidationFailed(f"callback: at most {MAX_CALLBACK} characters", field="callback")
    if _CONTROL.search(url):
        raise ValidationFailed("callback: spaces and control characters are not allowed", field="callback")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        raise ValidationFailed(f"callback: {exc}; {expected}", field="callback") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationFailed(f"callback: scheme {parts.scheme or 'missing'}; {expected}", field="callback")
    if not parts.hostname:
        raise ValidationFailed(f"callback: no host; {expected}", field="callback")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValidationFailed(
            "callback: a base URL without ?query or #fragment, since /listener/{eventName} is appended",
            field="callback",
        )
    return url.rstrip("/")
