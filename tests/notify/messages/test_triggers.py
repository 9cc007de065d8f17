"""Order changes write their messages in the same transaction: the customer's SMS (accepted with the
promised time, appointment booked and changed, resolved), switchable per order type and channel;
the assignee's inbox item; and the inbox itself (SLA messages and assignments, read and unread)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.notify import inbox
from manyi.notify.models import NotifyMessage
from manyi.notify.triggers import install_hooks, set_trigger
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.outbox.models import OutboxMessage
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


@pytest.fixture(autouse=True)
def triggers() -> None:
    install_hooks()


def fault(session: Session, op: Operator, at: datetime = MONDAY_10, type: str = "fault") -> WorkOrder:
    return service.create_order(
        session,
        type=type,
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
        at=at,
    )


def sms(session: Session, event: str | None = None) -> list[NotifyMessage]:
    query = select(NotifyMessage).where(NotifyMessage.channel == "sms").order_by(NotifyMessage.id)
    if event:
        query = query.where(NotifyMessage.event == event)
    return list(session.scalars(query))


def test_accepted_order_texts_the_customer_its_number_and_promised_time(
    session: Session, operator: Operator
) -> None:
    order = fault(session, operator)
    [message] = sms(session, "order.accepted")
    assert message.address == "8613812345678" and message.order_id == order.id
    assert message.customer_id == operator.customer.id and message.status == "queued"
    assert order.number in message.text and "11月26日 18:00" in message.text  # the resolution deadline
    assert message.text.startswith("【满意客服】张客户您好，您的故障工单")
    assert message.available_at == MONDAY_10  # daytime: due at once
    assert message.extension is not None and len(message.extension) == 4
    session.rollback()  # nothing of the change survives, nor its message
    assert sms(session) == []


def test_an_order_taken_at_night_texts_at_eight(session: Session, operator: Operator) -> None:
    fault(session, operator, at=datetime(2026, 11, 23, 22, 30, tzinfo=CST))
    [message] = sms(session)
    assert message.available_at == datetime(2026, 11, 24, 8, 0, tzinfo=CST)


def test_trigger_switched_off_per_order_type(session: Session, operator: Operator) -> None:
    set_trigger(
        session,
        event="order.accepted",
        order_type="fault",
        channel="sms",
        on=False,
        actor_id=None,
        at=MONDAY_10,
    )
    fault(session, operator)
    assert sms(session) == []
    fault(session, operator, type="install")
    assert len(sms(session, "order.accepted")) == 1
    set_trigger(
        session, event="order.accepted", order_type="*", channel="sms", on=False, actor_id=None, at=MONDAY_10
    )
    set_trigger(
        session,
        event="order.accepted",
        order_type="fault",
        channel="sms",
        on=True,
        actor_id=None,
        at=MONDAY_10,
    )
    fault(session, operator, at=MONDAY_10 + timedelta(minutes=5))  # the type's own setting wins over "*"
    assert len(sms(session, "order.accepted")) == 2


def test_appointment_booked_then_changed_and_resolution(session: Session, operator: Operator) -> None:
    order = fault(session, operator, type="install")
    at = MONDAY_10 + timedelta(minutes=10)
    service.transition_order(session, order_id=order.id, action="contact", outcome="reached", at=at)
    visit = datetime(2026, 11, 24, 14, 0, tzinfo=CST)
    service.transition_order(session, order_id=order.id, action="appoint", appointment_at=visit, at=at)
    service.transition_order(
        session, order_id=order.id, action="appoint", appointment_at=visit + timedelta(days=1), at=at
    )
    booked, moved = sms(session, "order.appointment")
    assert "已约定为11月24日 14:00" in booked.text and "已改为11月25日 14:00" in moved.text
    service.transition_order(  # a day before the visit: an early arrival needs a note
        session, order_id=order.id, action="arrive", reason="客户改约今天在家", at=at + timedelta(hours=1)
    )
    service.transition_order(
        session,
        order_id=order.id,
        action="resolve",
        resolution_code="fixed",
        resolution="已开通",
        at=at + timedelta(hours=2),
    )
    [resolved] = sms(session, "order.resolved")
    assert order.number in resolved.text


def test_assignment_lands_in_the_inbox_with_sla_messages_read_and_unread(
    session: Session, operator: Operator
) -> None:
    order = fault(session, operator)
    tech = operator.techs[0]
    service.assign_order(session, order_id=order.id, assignee_id=tech.id, at=MONDAY_10 + timedelta(minutes=1))
    session.add(
        OutboxMessage(
            created_at=MONDAY_10 + timedelta(hours=2),
            topic="sla.breach",
            channel="log",
            recipient_user_id=tech.id,
            order_id=order.id,
            payload={
                "clock": "first_contact",
                "step": "breach",
                "due_at": "2026-11-23T12:00:00+08:00",
                "order_number": order.number,
            },
            dedupe_key="clock:1:breach",
            available_at=None,
            attempts=1,
        )
    )
    session.flush()
    assert inbox.unread_count(session, user_id=tech.id) == 2
    assert inbox.unread_count(session, user_id=operator.agent.id) == 0
    newest, assigned = inbox.items(session, user_id=tech.id)
    assert newest.event == "sla.breach"
    assert newest.text == f"超时：工单{order.number}的首次联系时限已于11月23日 12:00到期"
    assert assigned.event == "order.assigned" and assigned.order_number == order.number and not assigned.read
    assert inbox.items(session, user_id=tech.id, locale="en")[0].text.startswith(
        "Breach: the first contact limit"
    )
    # another user's ids are ignored; a malformed id names the field
    assert (
        inbox.mark_read(session, user_id=operator.agent.id, ids=[newest.id, assigned.id], at=MONDAY_10) == 0
    )
    with pytest.raises(ValidationFailed) as refused:
        inbox.mark_read(session, user_id=tech.id, ids=["x1"], at=MONDAY_10)
    assert refused.value.field == "ids"
    assert inbox.mark_read(session, user_id=tech.id, ids=[assigned.id], at=MONDAY_10) == 1
    assert inbox.unread_count(session, user_id=tech.id) == 1
    assert [i.id for i in inbox.items(session, user_id=tech.id, unread_only=True)] == [newest.id]
    assert inbox.mark_read(session, user_id=tech.id, ids=None, at=MONDAY_10) == 1
    assert inbox.unread_count(session, user_id=tech.id) == 0
    assert inbox.total_count(session, user_id=tech.id) == 2
