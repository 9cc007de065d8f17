"""Customer changes through the service (seed 000: red-list data edits are audited): who may set
the red/blue list flag, and the append-only history every change writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers import service
from manyi.customers.history import customer_history, shown_changes
from manyi.customers.models import CustomerEvent
from manyi.org.models import User
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def _user(session: Session, *roles: str) -> User:
    user = User(username="_".join(roles), display_name="x", roles=list(roles))
    session.add(user)
    session.flush()
    return user


def test_only_a_named_member_of_staff_with_the_list_permission_flags_a_customer_with_a_reason(
    session: Session, operator: Operator
) -> None:
    cid = operator.customer.id
    for actor in (None, operator.agent.id, operator.techs[0].id):
        with pytest.raises(PermissionDenied, match="customer:flag"):
            service.update_customer(
                session, customer_id=cid, changes={"list_flag": "red"}, actor_id=actor, reason="VIP"
            )
    boss = _user(session, "supervisor")
    with pytest.raises(ValidationFailed, match="listFlagReason: a red/blue list change needs its reason"):
        service.update_customer(
            session, customer_id=cid, changes={"list_flag": "red"}, actor_id=boss.id, reason=" "
        )
    assert operator.customer.list_flag is None
    assert customer_history(session, customer_id=cid) == ([], 0)
    service.update_customer(
        session, customer_id=cid, changes={"list_flag": "red"}, actor_id=boss.id, reason=" 重要客户 ", at=AT
    )
    (event,), total = customer_history(session, customer_id=cid)
    assert total == 1 and (event.action, event.actor_id, event.at, event.note) == (
        "updated",
        boss.id,
        AT,
        "重要客户",
    )
    assert event.changes == [{"field": "list_flag", "before": None, "after": "red"}]
    # Setting it to what it is changes nothing and needs no right.
    service.update_customer(
        session, customer_id=cid, changes={"list_flag": "red"}, actor_id=operator.agent.id
    )
    assert customer_history(session, customer_id=cid)[1] == 1


def test_every_change_is_an_event_and_the_system_may_change_contact_data(
    session: Session, operator: Operator
) -> None:
    cid = operator.customer.id
    service.update_customer(session, customer_id=cid, changes={"phone": "13700001111", "vip_level": 2}, at=AT)
    service.update_customer(
        session,
        customer_id=cid,
        changes={"region_code": "330200"},
        actor_id=operator.agent.id,
        at=AT + timedelta(hours=1),
    )
    events, _ = customer_history(session, customer_id=cid)
    assert [(e.actor_id, e.changes) for e in events] == [
        (operator.agent.id, [{"field": "region_code", "before": "330106", "after": "330200"}]),
        (
            None,
            [
                {"field": "phone", "before": "13812345678", "after": "13700001111"},
                {"field": "vip_level", "before": 0, "after": 2},
            ],
        ),
    ]
    assert shown_changes(events[1].changes, pii=False)[0] == {
        "field": "phone",
        "before": "138****5678",
        "after": "137****1111",
    }
    tech = operator.techs[0].id  # technicians read customers, they do not change them
    with pytest.raises(PermissionDenied, match="customer:write"):
        service.update_customer(session, customer_id=cid, changes={"name": "王五"}, actor_id=tech)


def test_creation_starts_the_history_with_the_id_number_masked(session: Session, operator: Operator) -> None:
    customer = service.create_customer(
        session,
        name="李四",
        brand="mzone",
        region_code="330106",
        phone="13912345678",
        id_number="33010619900101123x",
        actor_id=operator.agent.id,
        at=AT,
    )
    (event,) = session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id)).all()
    given = {c["field"]: c["after"] for c in event.changes}
    assert event.action == "created" and given["id_number"] == "330106********123X"
    assert given["phone"] == "13912345678" and given["customer_no"] == customer.customer_no
