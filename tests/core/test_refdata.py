"""Reference data is cached per process, yet every committed edit is seen by the next order and an
edit rolled back is never seen; order numbers never make concurrent creators wait."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from manyi.calendars.service import get_calendar, set_override
from manyi.core.db import is_postgres
from manyi.core.sequences import reserve_values
from manyi.orders.models import ORDER_NUMBERS, RoutingRule
from manyi.sla.models import SlaPolicy, SlaTarget
from manyi.sla.service import order_clocks
from tests.fixtures.operator import Operator
from tests.orders.test_service import fault

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def _resolution_due(session: Session, order_id: int) -> datetime:
    return next(c.due_at for c in order_clocks(session, order_id=order_id) if c.kind == "resolution")


def test_a_committed_policy_edit_in_another_session_reaches_the_next_order(
    engine: Engine, session: Session, operator: Operator
) -> None:
    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():
        first = fault(s, operator)  # warms the cache: fault resolution is 3 working days
        assert _resolution_due(s, first.id) == datetime(2026, 11, 26, 18, 0, tzinfo=CST)
    with factory() as admin, admin.begin():
        policy = admin.query(SlaPolicy).filter(SlaPolicy.name == "故障 fault").one()
        target = admin.query(SlaTarget).filter_by(policy_id=policy.id, kind="resolution").one()
        target.amount = 5
    with factory() as s, s.begin():
        second = fault(s, operator)
        assert _resolution_due(s, second.id) == datetime(2026, 11, 30, 18, 0, tzinfo=CST)


def test_a_bulk_update_statement_also_invalidates(
    engine: Engine, session: Session, operator: Operator
) -> None:
    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():
        assert fault(s, operator).sla_policy_id is not None
    with factory() as admin, admin.begin():
        admin.execute(update(SlaPolicy).values(active=False))
    with factory() as s, s.begin():
        assert fault(s, operator).sla_policy_id is None


def test_an_edit_rolled_back_is_never_seen(engine: Engine, session: Session, operator: Operator) -> None:
    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():
        assert fault(s, operator).team_id == operator.field_team.id
    with factory() as admin:
        admin.begin()
        for rule in admin.query(RoutingRule):
            rule.team_id = operator.back_office.id
        # Inside the editing transaction the edit is visible (its own stamp) ...
        assert fault(admin, operator).team_id == operator.back_office.id
        admin.rollback()
    # ... and after its rollback nobody sees it, though that process cached it.
    with factory() as s, s.begin():
        assert fault(s, operator).team_id == operator.field_team.id


def test_a_calendar_override_moves_the_next_deadline(
    engine: Engine, session: Session, operator: Operator
) -> None:
    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as s, s.begin():
        before = get_calendar(s, name="office").add(MONDAY_10, 3, "working_days").due_at
        assert before == datetime(2026, 11, 26, 18, 0, tzinfo=CST)
    with factory() as admin, admin.begin():
        set_override(admin, calendar_name="office", day=datetime(2026, 11, 25).date(), working=False)
    with factory() as s, s.begin():
        assert get_calendar(s, name="office").add(MONDAY_10, 3, "working_days").due_at == datetime(
            2026, 11, 27, 18, 0, tzinfo=CST
        )


def test_reserved_numbers_are_fresh_and_increasing(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    block = reserve_values(session, ORDER_NUMBERS, 1000)
    assert len(set(block)) == 1000 and block == sorted(block)
    assert block[0] > int(order.number[10:])
    assert int(fault(session, operator).number[10:]) > block[-1]


@pytest.mark.postgres
def test_an_open_creating_transaction_does_not_block_another_creator(
    engine: Engine, session: Session, operator: Operator
) -> None:
    if not is_postgres(engine):
        pytest.skip("SQLite has one writer at a time by design")
    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as slow:
        slow.begin()
        held = fault(slow, operator)  # transaction stays open, as a slow request would
        with factory() as s, s.begin():
            s.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            other = fault(s, operator)  # would time out if numbering serialised creators
        assert other.number != held.number
        slow.rollback()
