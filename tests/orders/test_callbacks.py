"""The closed loop through the order services (seed 001, DOMAIN "Closed loop" and "Contact rule"), on
SQLite and PostgreSQL: contacts with outcomes, callbacks by the callback seats, the contact rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.core.settings import reset_settings
from manyi.orders import service
from manyi.orders.callbacks import loop_log
from manyi.orders.closed_loop import NotYetUnreachable
from manyi.orders.history import order_history
from manyi.orders.models import OrderCallback, OrderContact, WorkOrder
from manyi.org.models import User
from manyi.sla.service import order_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def staff(session: Session, op: Operator, username: str, *roles: str) -> User:
    user = User(username=username, display_name=username, roles=list(roles), team_id=op.back_office.id)
    session.add(user)
    session.flush()
    return user


def complaint(session: Session, op: Operator, *, resolved_by: User | None = None) -> WorkOrder:
    """A complaint taken by the agent, reached, and resolved (by resolved_by, else by the agent)."""
    order = service.create_order(
        session,
        type="complaint",
        description="报修三天无人联系",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        actor_id=op.agent.id,
        at=MONDAY_10,
    )
    service.transition_order(
        session,
        order_id=order.id,
        action="contact",
        actor_id=op.agent.id,
        at=MONDAY_10 + timedelta(minutes=20),
    )
    service.transition_order(
        session,
        order_id=order.id,
        action="resolve",
        resolution_code="explained",
        actor_id=(resolved_by or op.agent).id,
        at=MONDAY_10 + timedelta(hours=3),
    )
    return order


def _actions(session: Session, order: WorkOrder) -> list[str]:
    return [e.action for e in order_history(session, order_id=order.id)]


def test_every_complaint_gets_a_callback_before_it_closes_a_plain_close_is_refused(
    session: Session, operator: Operator
) -> None:
    order = complaint(session, operator)
    before = _actions(session, order)
    with pytest.raises(
        ValidationFailed, match="closes only through its callback; record the callback result"
    ):
        service.transition_order(session, order_id=order.id, action="close", actor_id=operator.agent.id)
    assert (order.status, _actions(session, order)) == ("resolved", before)
    # Other types still close plainly once resolved.
    fault = service.create_order(
        session, type="inquiry", description="咨询资费", channel="hotline", region_code="330106", at=MONDAY_10
    )
    service.transition_order(session, order_id=fault.id, action="resolve", resolution_code="answered")
    service.transition_order(session, order_id=fault.id, action="close")
    assert fault.status == "closed"


def test_the_callback_is_made_by_the_callback_seats_not_by_the_resolver_nor_a_technician(
    session: Session, operator: Operator
) -> None:
    seat = staff(session, operator, "callback1", "callback_agent")
    order = complaint(session, operator)  # resolved by the agent
    for who in (operator.agent, operator.techs[0]):
        with pytest.raises(PermissionDenied):
            service.transition_order(session, order_id=order.id, action="callback_ok", actor_id=who.id)
    with pytest.raises(PermissionDenied, match="ticket:callback"):
        service.transition_order(session, order_id=order.id, action="callback_ok")  # nobody named
    assert order.status == "resolved" and not session.scalars(select(OrderCallback)).all()
    at = MONDAY_10 + timedelta(days=1)
    service.transition_order(
        session,
        order_id=order.id,
        action="callback_ok",
        outcome="basically_satisfied",
        reason="客户认可处理结果",
        actor_id=seat.id,
        at=at,
    )
    assert (order.status, order.closed_at) == ("closed", at)
    (callback,) = session.scalars(select(OrderCallback)).all()
    assert (callback.order_id, callback.result, callback.actor_id, callback.at, callback.note) == (
        order.id,
        "basically_satisfied",
        seat.id,
        at,
        "客户认可处理结果",
    )
    event = order_history(session, order_id=order.id)[-1]
    assert event.action == "callback_ok" and event.actor_id == seat.id
    assert {"field": "callback_result", "before": None, "after": "basically_satisfied"} in event.changes


def test_an_agent_who_did_not_resolve_the_order_may_call_back(session: Session, operator: Operator) -> None:
    handler = staff(session, operator, "handler1", "complaint_handler")
    order = complaint(session, operator, resolved_by=handler)
    with pytest.raises(PermissionDenied, match="ticket:callback"):  # handlers do not hold it
        service.transition_order(session, order_id=order.id, action="callback_ok", actor_id=handler.id)
    service.transition_order(session, order_id=order.id, action="callback_ok", actor_id=operator.agent.id)
    assert order.status == "closed"
    assert session.scalars(select(OrderCallback.result)).all() == ["satisfied"]


def test_an_unsatisfied_callback_reopens_the_case_to_its_owner(session: Session, operator: Operator) -> None:
    seat = staff(session, operator, "callback1", "callback_agent")
    order = complaint(session, operator)
    service.transition_order(
        session,
        order_id=order.id,
        action="callback_unsatisfied",
        reason="客户仍有疑问",
        actor_id=seat.id,
        at=MONDAY_10 + timedelta(days=1),
    )
    assert (order.status, order.stage, order.owner_id, order.reopen_count) == (
        "inProgress",
        "contacted",
        operator.agent.id,
        1,
    )
    assert {c.kind: c.state for c in order_clocks(session, order_id=order.id)}["resolution"] == "running"
    assert session.scalars(select(OrderCallback.result)).all() == ["unsatisfied"]


def test_unreachable_needs_three_failed_attempts_two_hours_apart_after_resolution(
    session: Session, operator: Operator
) -> None:
    seat = staff(session, operator, "callback1", "callback_agent")
    order = complaint(session, operator)
    resolved = order.resolved_at
    assert resolved is not None

    def attempt(minutes: int, outcome: str = "not_reached") -> None:
        service.transition_order(
            session,
            order_id=order.id,
            action="contact_failed",
            outcome=outcome,
            actor_id=seat.id,
            at=resolved + timedelta(minutes=minutes),
        )

    def unreachable(minutes: int) -> None:
        service.transition_order(
            session,
            order_id=order.id,
            action="callback_ok",
            outcome="unreachable",
            actor_id=seat.id,
            at=resolved + timedelta(minutes=minutes),
        )

    with pytest.raises(NotYetUnreachable, match="0 of 3 failed attempts; record a failed attempt first"):
        unreachable(0)
    attempt(10)
    attempt(40, "wrong_number")  # too soon after the first: does not count
    attempt(130)
    # Resolved 13:00 (+08:00): attempts 13:10 and 15:10 count; the next may be at 17:10.
    with pytest.raises(
        NotYetUnreachable, match="2 of 3 failed attempts; next possible after 2026-11-23 17:10"
    ):
        unreachable(200)
    assert order.status == "resolved" and order.stage == "awaiting_callback"
    attempt(250)
    unreachable(260)
    assert order.status == "closed"
    assert session.scalars(select(OrderCallback.result)).all() == ["unreachable"]
    log = loop_log(session, order=order)
    assert [(c.outcome, c.actor_id) for c in log.contacts][-4:] == [
        ("not_reached", seat.id),
        ("wrong_number", seat.id),
        ("not_reached", seat.id),
        ("not_reached", seat.id),
    ]
    assert order.contact_attempts == 5  # the agent's first contact and the callback's four attempts


def test_attempts_before_the_resolution_do_not_count_for_unreachable(
    session: Session, operator: Operator
) -> None:
    seat = staff(session, operator, "callback1", "callback_agent")
    order = service.create_order(
        session,
        type="complaint",
        description="账单有误",
        channel="hotline",
        region_code="330106",
        at=MONDAY_10,
    )
    for hours in (0, 2, 4):
        service.transition_order(
            session, order_id=order.id, action="contact_failed", at=MONDAY_10 + timedelta(hours=hours)
        )
    service.transition_order(session, order_id=order.id, action="start", at=MONDAY_10 + timedelta(hours=4))
    service.transition_order(
        session,
        order_id=order.id,
        action="resolve",
        resolution_code="explained",
        at=MONDAY_10 + timedelta(hours=5),
    )
    with pytest.raises(NotYetUnreachable, match="0 of 3"):
        service.transition_order(
            session, order_id=order.id, action="callback_ok", outcome="unreachable", actor_id=seat.id
        )


def test_the_contact_rule_is_configurable(
    session: Session, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYI_UNREACHABLE_ATTEMPTS", "2")
    monkeypatch.setenv("MANYI_UNREACHABLE_SPACING_MINUTES", "30")
    reset_settings()
    try:
        seat = staff(session, operator, "callback1", "callback_agent")
        order = complaint(session, operator)
        assert order.resolved_at is not None
        for minutes in (5, 35):
            service.transition_order(
                session,
                order_id=order.id,
                action="contact_failed",
                actor_id=seat.id,
                at=order.resolved_at + timedelta(minutes=minutes),
            )
        service.transition_order(
            session, order_id=order.id, action="callback_ok", outcome="unreachable", actor_id=seat.id
        )
        assert order.status == "closed"
    finally:
        monkeypatch.undo()
        reset_settings()


def test_technicians_cannot_log_callback_attempts(session: Session, operator: Operator) -> None:
    order = complaint(session, operator)
    with pytest.raises(PermissionDenied):
        service.transition_order(
            session, order_id=order.id, action="contact_failed", actor_id=operator.techs[0].id
        )
    assert not session.scalars(
        select(OrderContact).where(OrderContact.at > MONDAY_10 + timedelta(hours=1))
    ).all()


def test_cancelling_or_rejecting_a_complaint_needs_a_reason_and_a_handler_or_supervisor(
    session: Session, operator: Operator
) -> None:
    handler = staff(session, operator, "handler1", "complaint_handler")
    boss = staff(session, operator, "boss", "supervisor")
    orders = [
        service.create_order(
            session,
            type="complaint",
            description="投诉",
            channel="hotline",
            region_code="330106",
            at=MONDAY_10,
        )
        for _ in range(2)
    ]
    with pytest.raises(PermissionDenied, match="complaint:withdraw"):
        service.transition_order(
            session, order_id=orders[0].id, action="cancel", reason="重复投诉", actor_id=operator.agent.id
        )
    with pytest.raises(ValidationFailed, match="reason: to reject a complaint give the reason"):
        service.transition_order(session, order_id=orders[0].id, action="reject", actor_id=handler.id)
    service.transition_order(
        session, order_id=orders[0].id, action="reject", reason="非本公司业务", actor_id=handler.id
    )
    service.transition_order(
        session, order_id=orders[1].id, action="cancel", reason="客户撤诉", actor_id=boss.id
    )
    assert [o.status for o in orders] == ["rejected", "cancelled"]
    # Other types are cancelled as before.
    fault = service.create_order(
        session, type="fault", description="断网", channel="hotline", region_code="330106", at=MONDAY_10
    )
    service.transition_order(session, order_id=fault.id, action="cancel", actor_id=operator.agent.id)
    assert fault.status == "cancelled"


def test_a_status_change_is_not_a_contact_only_a_reached_contact_meets_the_first_contact_clock(
    session: Session, operator: Operator
) -> None:
    order = service.create_order(
        session,
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=operator.customer.id,
        subscription_id=operator.broadband.id,
        actor_id=operator.agent.id,
        at=MONDAY_10,
    )

    def first_contact() -> str:
        return next(c.state for c in order_clocks(session, order_id=order.id) if c.kind == "first_contact")

    service.transition_order(
        session, order_id=order.id, action="start", actor_id=operator.agent.id, at=MONDAY_10
    )
    assert (order.status, order.stage, first_contact()) == ("inProgress", "extracted", "running")
    service.transition_order(
        session,
        order_id=order.id,
        action="contact_failed",
        outcome="wrong_number",
        reason="空号",
        actor_id=operator.agent.id,
        at=MONDAY_10 + timedelta(minutes=30),
    )
    assert (order.stage, first_contact()) == ("extracted", "running")
    reached_at = MONDAY_10 + timedelta(minutes=50)
    service.transition_order(
        session, order_id=order.id, action="contact", actor_id=operator.agent.id, at=reached_at
    )
    assert (order.stage, first_contact()) == ("contacted", "met")
    clock = next(c for c in order_clocks(session, order_id=order.id) if c.kind == "first_contact")
    assert clock.met_at == reached_at
    log = loop_log(session, order=order)
    assert [(c.outcome, c.actor_id, c.at, c.note) for c in log.contacts] == [
        ("wrong_number", operator.agent.id, MONDAY_10 + timedelta(minutes=30), "空号"),
        ("reached", operator.agent.id, reached_at, None),
    ]
    with pytest.raises(ValidationFailed, match="outcome: a contact reached the customer"):
        service.transition_order(session, order_id=order.id, action="contact", outcome="not_reached")
