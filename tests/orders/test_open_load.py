"""One definition of a member's open load (manyi.orders.routing.open_load): the dispatcher board shows
the number least-loaded assignment goes by, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from manyi.console.board.queries import team_members
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.orders.routing import least_loaded_member, open_load
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def _fault(session: Session, op: Operator, assignee_id: int | None = None) -> WorkOrder:
    order = service.create_order(
        session,
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
        at=AT,
    )
    assert order.team_id == op.field_team.id
    if assignee_id is not None:
        service.assign_order(session, order_id=order.id, assignee_id=assignee_id, at=AT)
    return order


def test_board_and_least_loaded_assignment_agree_on_open_load(session: Session, operator: Operator) -> None:
    tech1, tech2, tech3 = (t.id for t in operator.techs)
    # tech1: one open order, and one whose row was hidden while still open (deleted: no one's work).
    _fault(session, operator, tech1)
    hidden = _fault(session, operator, tech1)
    hidden.deleted_at = AT
    # tech2: one open order here, and one they still hold in the back office (they came from there).
    _fault(session, operator, tech2)
    elsewhere = _fault(session, operator, tech2)
    elsewhere.team_id = operator.back_office.id
    # tech3: one open order, and one paused while the customer is away (still theirs to finish).
    _fault(session, operator, tech3)
    paused = _fault(session, operator, tech3)
    service.transition_order(session, order_id=paused.id, action="pause", reason="客户出差", at=AT)
    assert paused.status == "pending"
    # A closed order is no load for anyone.
    done = _fault(session, operator, tech1)
    service.transition_order(session, order_id=done.id, action="cancel", reason="重复工单", at=AT)
    session.flush()

    assert open_load(session, user_ids=[tech1, tech2, tech3]) == {tech1: 1, tech2: 2, tech3: 2}
    board = team_members(session, team_id=operator.field_team.id)
    assert [(m.user_id, m.open_load) for m in board] == [(tech1, 1), (tech2, 2), (tech3, 2)]
    chosen = least_loaded_member(session, team_id=operator.field_team.id)
    assert chosen is not None and chosen.id == board[0].user_id == tech1

    # Auto-assignment takes the board's first member, and the board then shows the new number.
    fresh = _fault(session, operator)
    assert service.assign_order(session, order_id=fresh.id, at=AT).assignee_id == tech1
    board = team_members(session, team_id=operator.field_team.id)
    assert [(m.user_id, m.open_load) for m in board] == [(tech1, 2), (tech2, 2), (tech3, 2)]
    # With a skill, the least loaded of those who have it (tech1 has broadband only).
    skilled = least_loaded_member(session, team_id=operator.field_team.id, skill="iptv")
    assert skilled is not None and skilled.id == tech2  # tech2 and tech3 tie at 2: lowest id


def test_open_load_of_nobody_is_empty(session: Session, operator: Operator) -> None:
    assert open_load(session, user_ids=[]) == {}
    assert open_load(session, user_ids=[operator.techs[0].id]) == {}
    assert least_loaded_member(session, team_id=operator.field_team.id, skill="fibre") is None
