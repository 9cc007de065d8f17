"""The event hub: subscribe, unsubscribe, and emit TMF events into the outbox. Flush, never commit.

An event is written in the caller's transaction, one outbox message per matching subscription, so a
committed change always has its events and a rolled-back one has none. The outbox delivers each
message at least once, in order per resource and subscriber (manyi.outbox.service); its `eventId`
is fixed when the message is written and stays the same across retries, so a subscriber that drops
an `eventId` it has already processed sees every event exactly once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi.auth.permissions import permissions_for
from manyi.auth.service import Principal, in_scope
from manyi.core.clock import now
from manyi.core.errors import NotFound, ValidationFailed
from manyi.core.logging import get_logger
from manyi.core.refdata import cached
from manyi.hub.models import APIS, HubSubscription
from manyi.hub.rules import (
    Condition,
    check_callback,
    event_types_named,
    listener_name,
    matches,
    parse_query,
)
from manyi.org.reference import user_index
from manyi.outbox.models import OutboxMessage

log = get_logger("manyi.hub")

# The resource's key inside `event` and the event types each API's swagger defines.
RESOURCE = {"troubleTicket": "troubleTicket", "customer": "customer"}
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "troubleTicket": (
        "TroubleTicketCreateEvent",
        "TroubleTicketAttributeValueChangeEvent",
        "TroubleTicketStatusChangeEvent",
        "TroubleTicketDeleteEvent",
        "TroubleTicketResolvedEvent",
        "TroubleTicketInformationRequiredEvent",
    ),
    "customer": (
        "CustomerCreateEvent",
        "CustomerAttributeValueChangeEvent",
        "CustomerStateChangeEvent",
        "CustomerDeleteEvent",
    ),
}
# Event documents carry unmasked phone and ID numbers, so a listener is for callers who may read them.
LISTENER_PERMISSIONS = frozenset({"hub:manage", "pii:read"})
_ORDERING_KEY_LENGTH = 160  # OutboxMessage.ordering_key


@dataclass(frozen=True)
class Listener:
    """A subscription as emit() needs it, cached per process (manyi.core.refdata)."""

    id: str
    api: str
    callback: str
    conditions: tuple[Condition, ...]
    created_by: int | None


def _load_listeners(session: Session) -> dict[str, tuple[Listener, ...]]:
    found: dict[str, list[Listener]] = {}
    rows = session.scalars(select(HubSubscription).order_by(HubSubscription.created_at, HubSubscription.id))
    for row in rows:
        listener = Listener(row.id, row.api, row.callback, parse_query(row.query), row.created_by)
        found.setdefault(row.api, []).append(listener)
    return {api: tuple(listeners) for api, listeners in found.items()}


def subscribers(session: Session, api: str) -> tuple[Listener, ...]:
    """The listeners of api, oldest first (cheap: read once per process until the table changes)."""
    return cached(session, "hub_subscriptions", _load_listeners).get(api, ())


def _check_api(api: str) -> None:
    if api not in APIS:
        raise ValueError(f"unknown hub api {api!r}; expected one of {', '.join(APIS)}")


def _fingerprint(api: str, callback: str, query: str) -> str:
    return hashlib.sha256(f"{api}\n{callback}\n{query}".encode()).hexdigest()


def subscribe(
    session: Session, *, api: str, callback: str, query: str | None, actor_id: int | None
) -> HubSubscription:
    """Register a listener for api's events; a repeat of the same callback and query returns the first."""
    _check_api(api)
    callback = check_callback(callback)
    query = (query or "").strip()
    named = event_types_named(parse_query(query))
    unknown = sorted(named - set(EVENT_TYPES[api]))
    if unknown:
        raise ValidationFailed(
            f"query: eventType {', '.join(unknown)} is not an event of this API; "
            f"expected {', '.join(EVENT_TYPES[api])}",
            field="query",
        )
    fingerprint = _fingerprint(api, callback, query)
    existing = session.scalars(
        select(HubSubscription).where(HubSubscription.fingerprint == fingerprint)
    ).first()
    if existing is not None:  # a retried POST must not make the subscriber receive everything twice
        return existing
    subscription = HubSubscription(
        id=uuid.uuid4().hex,
        api=api,
        callback=callback,
        query=query,
        fingerprint=fingerprint,
        created_by=actor_id,
        created_at=now(),
    )
    session.add(subscription)
    session.flush()
    return subscription


def unsubscribe(session: Session, *, api: str, subscription_id: str) -> None:
    """Remove a listener and cancel its undelivered messages; NotFound when api has no such listener."""
    _check_api(api)
    subscription = session.get(HubSubscription, subscription_id) if len(subscription_id) <= 32 else None
    if subscription is None or subscription.api != api:
        raise NotFound(f"hub subscription {subscription_id} does not exist")
    # Retrying towards a listener that asked to hear nothing more would only hammer it; the rows stay
    # (sent_at NULL, last_error says why) as the record of what was never delivered.
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == "webhook",
            OutboxMessage.ordering_key.like(f"{_key_prefix(subscription.id)}%"),
            OutboxMessage.available_at.is_not(None),
        )
        .values(available_at=None, last_error="cancelled: the listener unsubscribed"),
        execution_options={"synchronize_session": False},
    )
    session.delete(subscription)
    session.flush()


def _key_prefix(subscription_id: str) -> str:
    return f"hub:{subscription_id}:"


def _ordering_key(subscription_id: str, resource_key: str) -> str:
    # Per subscriber as well as per resource: one listener that is down must not hold back the others.
    key = _key_prefix(subscription_id) + resource_key
    if len(key) > _ORDERING_KEY_LENGTH:
        key = _key_prefix(subscription_id) + hashlib.sha256(resource_key.encode()).hexdigest()
    return key


def _may_receive(session: Session, listener: Listener, resource: dict[str, Any]) -> bool:
    """Whether the listener's owner may still see this resource: active, permitted, in region."""
    if listener.created_by is None:
        return True
    info = user_index(session).get(listener.created_by)
    if info is None or not info.active or not permissions_for(info.roles) >= LISTENER_PERMISSIONS:
        log.warning("hub_listener_owner_not_allowed", subscription=listener.id, user_id=listener.created_by)
        return False
    if not info.regions:
        return True
    region = resource.get("region")
    region_code = region.get("id") if isinstance(region, dict) else None
    owner = Principal(
        info.id, info.username, info.display_name, info.roles, info.regions, permissions_for(info.roles)
    )
    return in_scope(session, owner, region_code)


def _event_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def emit(
    session: Session,
    *,
    api: str,
    event_type: str,
    resource: dict[str, Any],
    ordering_key: str,
    at: datetime | None = None,
) -> int:
    """Write event_type about resource to the outbox for every listener it matches; return how many."""
    _check_api(api)
    if event_type not in EVENT_TYPES[api]:
        raise ValueError(f"{event_type!r} is not a {api} event; expected one of {EVENT_TYPES[api]}")
    listeners = subscribers(session, api)
    if not listeners:
        return 0
    at = at or now()
    event_id = str(uuid.uuid4())
    body = {
        "eventId": event_id,
        "eventTime": _event_time(at),
        "eventType": event_type,
        "event": {RESOURCE[api]: resource},
    }
    written = 0
    for listener in listeners:
        if not matches(listener.conditions, body) or not _may_receive(session, listener, resource):
            continue
        session.add(
            OutboxMessage(
                created_at=at,
                topic=event_type,
                channel="webhook",
                payload={"url": f"{listener.callback}/listener/{listener_name(event_type)}", "body": body},
                dedupe_key=f"hub:{listener.id}:{event_id}",
                ordering_key=_ordering_key(listener.id, ordering_key),
                available_at=at,
                attempts=0,
            )
        )
        written += 1
    return written
