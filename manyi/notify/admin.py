"""What an administrator changes: an event's template per channel and language (checked before it
is kept), its quiet hours, and which triggers are on for which order types. Flushes, never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.notify import templates
from manyi.notify.models import NotifyTemplate, TriggerSetting
from manyi.notify.triggers import set_trigger
from manyi.orders.lifecycle import ORDER_TYPES

# The switchable triggers: customer events by SMS; the assignment's inbox item.
TRIGGERS: tuple[tuple[str, str], ...] = (
    *((event, "sms") for event in templates.CUSTOMER_EVENTS),
    ("order.assigned", "inbox"),
)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class TemplateView:
    event: str
    channel: str
    bodies: dict[str, str]  # locale -> text (the operator's own, else built in)
    own: bool
    quiet_start: int
    quiet_end: int


def minutes(value: str, field: str) -> int:
    """ "21:00" -> 1260; a bad clock time is refused naming the field."""
    match = _CLOCK.match(value.strip())
    if not match:
        raise ValidationFailed(f"{field}: expected a time such as 21:00, got {value!r}", field=field)
    return int(match.group(1)) * 60 + int(match.group(2))


def template_views(session: Session) -> list[TemplateView]:
    own = {(t.event, t.channel, t.locale): t for t in session.scalars(select(NotifyTemplate))}
    views = []
    for event, channel in TRIGGERS:
        kept = [own[(event, channel, loc)] for loc in templates.LOCALES if (event, channel, loc) in own]
        bodies = {
            loc: own[(event, channel, loc)].body
            if (event, channel, loc) in own
            else templates.built_in(event, loc)
            for loc in templates.LOCALES
        }
        first = kept[0] if kept else None
        views.append(
            TemplateView(
                event,
                channel,
                bodies,
                bool(kept),
                first.quiet_start if first else 21 * 60,
                first.quiet_end if first else 8 * 60,
            )
        )
    return views


def save_template(
    session: Session,
    *,
    event: str,
    channel: str,
    bodies: dict[str, str],
    quiet_start: int,
    quiet_end: int,
    actor_id: int | None,
    at: datetime,
) -> None:
    """Keep an operator's text for every language given, after checking each (nothing kept if one fails)."""
    if (event, channel) not in TRIGGERS:
        raise ValidationFailed(f"event: no template for {event!r} on {channel!r}", field="event")
    for locale, body in bodies.items():
        if locale not in templates.LOCALES:
            raise ValidationFailed(f"locale: expected zh-CN or en, got {locale!r}", field="locale")
        try:
            templates.check_template(event, body)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=f"body_{locale}") from exc
    for locale, body in bodies.items():
        row = session.get(NotifyTemplate, (event, channel, locale))
        if row is None:
            row = NotifyTemplate(event=event, channel=channel, locale=locale)
            session.add(row)
        row.body, row.quiet_start, row.quiet_end = body.strip(), quiet_start, quiet_end
        row.updated_at, row.updated_by_id = at, actor_id
    session.flush()


def trigger_matrix(session: Session) -> dict[tuple[str, str, str], bool]:
    """(event, order type, channel) -> on, for every switchable trigger and order type."""
    rows = {(r.event, r.order_type, r.channel): r.enabled for r in session.scalars(select(TriggerSetting))}
    return {
        (event, kind, channel): rows.get((event, kind, channel), rows.get((event, "*", channel), True))
        for event, channel in TRIGGERS
        for kind in ORDER_TYPES
    }


def save_triggers(
    session: Session, *, on: set[tuple[str, str, str]], actor_id: int | None, at: datetime
) -> int:
    """Switch every trigger to the state given (those in `on` on, the rest off); return how many moved."""
    unknown = on - set(trigger_matrix(session))
    if unknown:
        raise ValidationFailed(f"triggers: unknown trigger {sorted(unknown)[0]!r}", field="triggers")
    moved = 0
    for key, state in trigger_matrix(session).items():
        wanted = key in on
        if wanted != state:
            event, kind, channel = key
            set_trigger(
                session, event=event, order_type=kind, channel=channel, on=wanted, actor_id=actor_id, at=at
            )
            moved += 1
    return moved
