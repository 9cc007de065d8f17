"""Write messages: in the caller's transaction, after the customer-protection rules (manyi.notify.rules).

A message a rule stops is still written, as `suppressed` with the reason, so the console's message
search shows why a customer got nothing. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.core.errors import ValidationFailed
from manyi.core.settings import get_settings
from manyi.notify import rules
from manyi.notify.models import NotifyMessage, SmsOptOut
from manyi.notify.sms import segment_count

CHANNELS = ("sms",)  # the channels the worker sends today (docs/notifications.md)
MAX_TEXT = 1000  # characters: 16 SMS segments, more than any notice needs
OPTED_OUT = "opted_out"
DAILY_LIMIT = "daily_limit"


@dataclass(frozen=True)
class Quiet:
    start: int = rules.DEFAULT_QUIET_START
    end: int = rules.DEFAULT_QUIET_END


def operator_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().default_timezone)


def queue_message(
    session: Session,
    *,
    channel: str,
    event: str,
    address: str,
    text: str,
    at: datetime | None = None,
    subject: str | None = None,
    customer_id: int | None = None,
    user_id: int | None = None,
    order_id: int | None = None,
    template: str | None = None,
    locale: str = "zh-CN",
    urgent: bool = False,
    quiet: Quiet = Quiet(),
    external_id: str | None = None,
    dedupe_key: str | None = None,
) -> NotifyMessage:
    """Write one message (or find the identical one already written today); the worker sends it."""
    at = ensure_aware(at or now(), field="at")
    if channel not in CHANNELS:
        raise ValidationFailed(
            f"channel: expected one of {', '.join(CHANNELS)}, got {channel!r}", field="channel"
        )
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("text: expected a non-empty message", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"text: at most {MAX_TEXT} characters, got {len(text)}", field="text")
    if channel == "sms":
        number = rules.normalise_msisdn(address)
        if number is None:
            raise ValidationFailed(
                f"address: not a phone number an SMS can go to: {address!r}", field="address"
            )
        address = number
    elif not address or len(address) > 128:
        raise ValidationFailed("address: expected 1-128 characters", field="address")
    zone = operator_zone()
    day = rules.local_day(at, zone)
    key = dedupe_key or rules.dedupe_key(channel=channel, address=address, text=text, day=day)
    existing = session.scalars(select(NotifyMessage).where(NotifyMessage.dedupe_key == key)).first()
    if existing is not None:
        return existing
    message = NotifyMessage(
        created_at=at,
        channel=channel,
        event=event,
        template=template,
        locale=locale,
        customer_id=customer_id,
        user_id=user_id,
        address=address,
        subject=subject,
        text=text,
        segments=segment_count(text) if channel == "sms" else 1,
        urgent=urgent,
        order_id=order_id,
        status="queued",
        attempts=0,
        dedupe_key=key,
        external_id=external_id,
        available_at=rules.release_at(at, zone=zone, start=quiet.start, end=quiet.end, urgent=urgent),
    )
    stop = _stopped_by(session, message, at=at, zone=zone) if channel == "sms" else None
    if stop is not None:
        message.status, message.error_code, message.available_at = "suppressed", stop, None
        message.last_error = _STOP_TEXT[stop]
    session.add(message)
    session.flush()
    digits = get_settings().notify_extension_digits
    if channel == "sms" and digits:
        message.extension = rules.extension_for(message.id, digits)
    return message


_STOP_TEXT = {
    OPTED_OUT: "the customer opted out by reply (退订) / 客户已回复退订",
    DAILY_LIMIT: "the number's daily SMS limit is reached / 已达该号码每日短信上限",
}


def _stopped_by(session: Session, message: NotifyMessage, *, at: datetime, zone: ZoneInfo) -> str | None:
    """The rule that stops this SMS, or None. Urgent service notices pass both rules."""
    if message.urgent:
        return None
    if session.get(SmsOptOut, message.address) is not None:
        return OPTED_OUT
    limit = get_settings().notify_daily_limit
    if limit:
        local = at.astimezone(zone)
        day_start = datetime.combine(local.date(), time(0), tzinfo=zone)
        sent = session.scalar(
            select(func.count()).where(
                NotifyMessage.address == message.address,
                NotifyMessage.channel == "sms",
                NotifyMessage.created_at >= day_start,
                NotifyMessage.created_at < day_start + timedelta(days=1),
                NotifyMessage.status != "suppressed",
                NotifyMessage.urgent.is_(False),
            )
        )
        if rules.over_daily_limit(int(sent or 0), limit, urgent=False):
            return DAILY_LIMIT
    return None


def record_opt_out(session: Session, *, address: str, source: str, at: datetime) -> bool:
    """Stop care and marketing SMS to a number; False when it had opted out already."""
    number = rules.normalise_msisdn(address) or address
    if session.get(SmsOptOut, number) is not None:
        return False
    session.add(SmsOptOut(address=number, at=at, source=source[:32]))
    session.flush()
    return True
