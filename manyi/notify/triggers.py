"""Which changes of a work order notify whom: registered on the order hooks (manyi.orders.hooks), so
every message is written in the transaction of the change that causes it.

Customer (SMS): order accepted (its number and promised time), appointment booked or changed, order
resolved — each switchable per order type and channel (`notify_trigger_settings`; no row: on).
Staff: a new assignment lands in the assignee's inbox (manyi.notify.inbox, beside the SLA warnings,
breaches and escalations the sweep writes as outbox rows addressed to them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.customers.models import Customer
from manyi.notify import messages
from manyi.notify.models import NotifyMessage, NotifyTemplate, TriggerSetting
from manyi.notify.templates import built_in, render
from manyi.orders.models import WorkOrder
from manyi.sla.models import SlaClock

TYPE_LABELS = {
    "complaint": "投诉",
    "fault": "故障",
    "install": "装机",
    "remove": "拆机",
    "move": "移机",
    "change": "变更",
    "inquiry": "咨询",
    "callback": "回访",
    "proactiveCare": "主动关怀",
}


def enabled(session: Session, *, event: str, order_type: str, channel: str) -> bool:
    """Whether a trigger is on: the order type's own setting, else the one for every type, else on."""
    rows = {
        row.order_type: row.enabled
        for row in session.scalars(
            select(TriggerSetting).where(
                TriggerSetting.event == event,
                TriggerSetting.channel == channel,
                TriggerSetting.order_type.in_((order_type, "*")),
            )
        )
    }
    return rows.get(order_type, rows.get("*", True))


def set_trigger(
    session: Session,
    *,
    event: str,
    order_type: str,
    channel: str,
    on: bool,
    actor_id: int | None,
    at: datetime,
) -> None:
    """Switch a trigger on or off for one order type ("*": every type) and channel."""
    row = session.get(TriggerSetting, (event, order_type, channel))
    if row is None:
        session.add(
            TriggerSetting(
                event=event,
                order_type=order_type,
                channel=channel,
                enabled=on,
                updated_at=at,
                updated_by_id=actor_id,
            )
        )
    else:
        row.enabled, row.updated_at, row.updated_by_id = on, at, actor_id
    session.flush()


def template_body(
    session: Session, *, event: str, channel: str, locale: str = "zh-CN"
) -> tuple[str, int, int]:
    """The text to render (the operator's own, else built in) and its quiet hours."""
    own = session.get(NotifyTemplate, (event, channel, locale))
    if own is not None:
        return own.body, own.quiet_start, own.quiet_end
    quiet = messages.Quiet()
    return built_in(event, locale), quiet.start, quiet.end


def _local(at: datetime | None) -> str:
    if at is None:
        return "—"
    return at.astimezone(messages.operator_zone()).strftime("%m月%d日 %H:%M")


def _customer_sms(
    session: Session, order: WorkOrder, event: str, values: dict[str, Any], at: datetime
) -> None:
    if order.customer_id is None or not enabled(session, event=event, order_type=order.type, channel="sms"):
        return
    customer = session.get(Customer, order.customer_id)
    if customer is None or not customer.phone or customer.erased_at is not None:
        return
    body, quiet_start, quiet_end = template_body(session, event=event, channel="sms")
    text = render(body, {"number": order.number, "customer_name": _salutation(customer.name), **values})
    messages.queue_message(
        session,
        channel="sms",
        event=event,
        address=customer.phone,
        text=text,
        at=at,
        customer_id=customer.id,
        order_id=order.id,
        template=event,
        quiet=messages.Quiet(quiet_start, quiet_end),
    )


def _salutation(name: str) -> str:
    """张三 -> 张先生/女士 would need the gender we do not keep: the surname and 客户 instead."""
    return f"{name[:1]}客户" if name else "客户"


def _promised(session: Session, order: WorkOrder) -> datetime | None:
    return session.scalar(
        select(SlaClock.due_at).where(SlaClock.order_id == order.id, SlaClock.kind == "resolution")
    )


def _assigned(session: Session, order: WorkOrder, assignee_id: int, at: datetime) -> None:
    """An inbox item for the new assignee (an in-app message: nothing to send)."""
    if not enabled(session, event="order.assigned", order_type=order.type, channel="inbox"):
        return
    body, _start, _end = template_body(session, event="order.assigned", channel="inbox")
    text = render(
        body,
        {"number": order.number, "title": order.title or order.description[:60], "region": order.region_code},
    )
    session.add(
        NotifyMessage(
            created_at=at,
            channel="inbox",
            event="order.assigned",
            template="order.assigned",
            locale="zh-CN",
            user_id=assignee_id,
            address=f"user:{assignee_id}",
            text=text,
            segments=1,
            urgent=False,
            order_id=order.id,
            status="inbox",
            attempts=0,
            dedupe_key=f"assigned:{order.id}:{assignee_id}:{at.isoformat()}",
        )
    )


def on_order(session: Session, order: WorkOrder, kind: str, changes: dict[str, tuple[Any, Any]]) -> None:
    """The order hook: write the messages this change triggers."""
    at = order.updated_at or now()
    if kind == "created":
        session.flush()
        values = {
            "promised_at": _local(_promised(session, order)),
            "type_label": TYPE_LABELS.get(order.type, ""),
        }
        _customer_sms(session, order, "order.accepted", values, order.created_at or at)
        if order.assignee_id is not None:
            _assigned(session, order, order.assignee_id, order.created_at or at)
        return
    if "appointment_at" in changes:
        before, after = changes["appointment_at"]
        if after is not None:
            appointment: dict[str, Any] = {"appointment_at": _local(after), "changed": before is not None}
            _customer_sms(session, order, "order.appointment", appointment, at)
    if kind == "status" and order.status == "resolved":
        _customer_sms(session, order, "order.resolved", {"resolution": order.resolution or ""}, at)
    if "assignee_id" in changes:
        _before, assignee = changes["assignee_id"]
        if assignee is not None:
            _assigned(session, order, assignee, at)


def install_hooks() -> None:
    """Register the triggers on order changes (idempotent); called by every entry point that
    changes orders (manyi.app, manyi.cli), never on import."""
    from manyi.orders import hooks

    if on_order not in hooks.HOOKS:
        hooks.HOOKS.append(on_order)
