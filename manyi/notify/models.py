"""Messages to customers and staff, and what comes back: gateway receipts, customers' replies, opt-outs.

`notify_messages` is the due-time table of the notification channels (DESIGN "a transactional outbox
and due-time tables"): a row is written in the same transaction as the change that causes it and
the worker sends it. It is its own table, not a row of `outbox_messages`, because an SMS has a life
after it left (submitted → delivered or failed by receipt, a reply that answers it) that a webhook
event does not, and because SMS go out in windows of many submits per claim, not one per commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.db import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")

# inbox: an in-app item for a staff member (nothing to send; read_at marks it read).
# queued: waiting (due at available_at); sending: claimed by a worker (available_at is the lease end:
# a worker killed mid-window leaves it to be claimed again then); submitted: the gateway took it;
# delivered / failed: its receipt said so, or the gateway refused it for good; suppressed: a rule
# stopped it (opt-out, daily limit) and says which in last_error.
STATUSES = ("inbox", "queued", "sending", "submitted", "delivered", "failed", "suppressed")
OPEN_STATUSES = ("inbox", "queued", "sending")


class NotifyMessage(Base):
    __tablename__ = "notify_messages"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))  # sms email wecom dingtalk inbox
    event: Mapped[str] = mapped_column(String(48))  # order.accepted, sla.breach, tmf681, ...
    template: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(String(128))  # an MSISDN, an email address, a robot name
    subject: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(Integer, default=1)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # A reply to this message names it: appended to the service code (10655 + 0042 → 106550042).
    extension: Mapped[str | None] = mapped_column(String(8))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    gateway: Mapped[str | None] = mapped_column(String(32))  # the configured gateway that took it
    gateway_ids: Mapped[str | None] = mapped_column(String(400))  # one per segment, comma-joined
    error_code: Mapped[str | None] = mapped_column(String(48))
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # NULL once finished
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The same real-world message is written once (an event replayed, a double click, two triggers).
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(64))  # TMF681 client's own id
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an inbox item read by its user

    __table_args__ = (
        Index("ix_notify_messages_available_at", "available_at"),
        Index("ix_notify_messages_address_created_at", "address", "created_at"),
        # A user's inbox, newest first.
        Index("ix_notify_messages_user_id_id", "user_id", "id"),
    )


class SmsSegment(Base):
    """The gateway's id of one submitted segment: a receipt names one of them."""

    __tablename__ = "notify_sms_segments"

    gateway: Mapped[str] = mapped_column(String(32), primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("notify_messages.id"), index=True)


class SmsReceipt(Base):
    """A delivery receipt as it arrived, kept until it is applied to its message (it may arrive
    before the submit's answer was recorded)."""

    __tablename__ = "notify_sms_receipts"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_id: Mapped[str] = mapped_column(String(80))
    delivered: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class InboundSms(Base):
    """A customer's message to the service code; never dropped: it ends matched, handled, or as an
    inquiry order for an agent."""

    __tablename__ = "notify_inbound_sms"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    gateway: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(32), index=True)
    to: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("notify_messages.id"))
    handler: Mapped[str | None] = mapped_column(String(24))  # opt_out survey registration inquiry
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))


class SmsOptOut(Base):
    """A number that replied TD/退订/T: care and marketing SMS stop (urgent service notices do not)."""

    __tablename__ = "notify_opt_outs"

    address: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))  # "sms:<inbound id>", "agent:<user id>"


class TriggerSetting(Base):
    """A trigger switched off (or on again) for one order type and channel; no row means on."""

    __tablename__ = "notify_trigger_settings"

    event: Mapped[str] = mapped_column(String(48), primary_key=True)
    order_type: Mapped[str] = mapped_column(String(16), primary_key=True)  # "*" for every type
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class InboxRead(Base):
    """A staff member read an inbox item (an SLA or assignment message addressed to them)."""

    __tablename__ = "notify_inbox_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    outbox_message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotifyTemplate(Base):
    """An operator's own text for one event, channel and language, replacing the built-in one."""

    __tablename__ = "notify_templates"

    event: Mapped[str] = mapped_column(String(48), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Quiet hours in the operator's zone, minutes after midnight; start > end wraps over midnight.
    quiet_start: Mapped[int] = mapped_column(Integer, default=21 * 60)
    quiet_end: Mapped[int] = mapped_column(Integer, default=8 * 60)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
