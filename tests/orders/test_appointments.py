"""Issue 12, bug 1: an appointment in the past is refused; arriving long before the appointment
needs a note; both through the service every path uses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.orders import service
from manyi.orders.appointments import check_arrival, check_booking
from manyi.orders.history import order_history
from tests.fixtures.operator import Operator
from tests.orders.test_service import MONDAY_10, fault


def test_booking_rule_allows_now_and_later_refuses_the_past() -> None:
    assert check_booking(MONDAY_10, at=MONDAY_10) == MONDAY_10
    assert check_booking(MONDAY_10 - timedelta(minutes=4), at=MONDAY_10)  # the picker's minute rounding
    with pytest.raises(ValidationFailed) as past:
        check_booking(MONDAY_10 - timedelta(days=2), at=MONDAY_10)
    assert past.value.field == "appointment_at" and past.value.key == "appointment.past"
    assert past.value.params == {"appointment": "2026-11-21 10:00"}
    with pytest.raises(ValidationFailed) as missing:
        check_booking(None, at=MONDAY_10)
    assert missing.value.key == "appointment.required"


def test_arrival_rule_needs_a_note_only_when_long_before() -> None:
    check_arrival(MONDAY_10, at=MONDAY_10 - timedelta(minutes=59), note=None)
    check_arrival(None, at=MONDAY_10, note=None)  # no appointment: nothing to compare
    check_arrival(MONDAY_10, at=MONDAY_10 - timedelta(hours=5), note="客户同意提前")
    with pytest.raises(ValidationFailed) as early:
        check_arrival(MONDAY_10, at=MONDAY_10 - timedelta(hours=5), note="  ")
    assert early.value.field == "reason" and early.value.key == "arrival.early"


def _contacted(session: Session, operator: Operator, at: datetime) -> int:
    order = fault(session, operator, at=at)
    service.transition_order(session, order_id=order.id, action="contact", at=at)
    session.commit()  # a refusal rolls back to here
    return order.id


def test_service_refuses_a_past_appointment_and_changes_nothing(session: Session, operator: Operator) -> None:
    order_id = _contacted(session, operator, MONDAY_10)
    events = len(order_history(session, order_id=order_id))
    with pytest.raises(ValidationFailed, match="appointment_at"):
        service.transition_order(
            session,
            order_id=order_id,
            action="appoint",
            appointment_at=MONDAY_10 - timedelta(days=2),
            at=MONDAY_10 + timedelta(minutes=5),
        )
    session.rollback()
    order = service.get_order(session, order_id=order_id)
    assert (order.stage, order.appointment_at) == ("contacted", None)
    assert len(order_history(session, order_id=order_id)) == events


def test_service_refuses_an_early_arrival_without_a_note_and_keeps_one_with_it(
    session: Session, operator: Operator
) -> None:
    order_id = _contacted(session, operator, MONDAY_10)
    tomorrow = MONDAY_10 + timedelta(days=1)
    service.transition_order(
        session, order_id=order_id, action="appoint", appointment_at=tomorrow, at=MONDAY_10
    )
    with pytest.raises(ValidationFailed, match="reason"):
        service.transition_order(
            session, order_id=order_id, action="arrive", at=MONDAY_10 + timedelta(hours=1)
        )
    service.transition_order(
        session,
        order_id=order_id,
        action="arrive",
        reason="客户同意提前上门",
        at=MONDAY_10 + timedelta(hours=1),
    )
    order = service.get_order(session, order_id=order_id)
    assert order.stage == "on_site"
    notes = [e.note for e in order_history(session, order_id=order_id) if e.action == "arrive"]
    assert notes == ["客户同意提前上门"]
