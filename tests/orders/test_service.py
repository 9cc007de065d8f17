"""Work-order services on SQLite and PostgreSQL: creation, routing, ownership, history, SLA clocks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.errors import IllegalTransition, StaleVersion, ValidationFailed
from manyi.orders import service
from manyi.orders.history import order_history
from manyi.orders.models import WorkOrder
from manyi.orders.routing import check_assignee
from manyi.sla.models import SlaClock, SlaTarget
from manyi.sla.service import order_clocks, recompute_policy_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)


def fault(session: Session, op: Operator, at: datetime = MONDAY_10, **kw: object) -> WorkOrder:
    args: dict[str, object] = dict(
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
        at=at,
    )
    args.update(kw)
    return service.create_order(session, **args)  # type: ignore[arg-type]


def clocks(session: Session, order: WorkOrder) -> dict[str, SlaClock]:
    return {c.kind: c for c in order_clocks(session, order_id=order.id)}


def test_create_routes_owns_records_and_starts_clocks(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    assert order.number == "GD20261123000001"
    assert (order.status, order.stage) == ("acknowledged", "accepted")
    assert order.owner_id == operator.agent.id
    assert order.team_id == operator.field_team.id  # fault in a Hangzhou district -> field crew
    assert order.product == "broadband"
    events = order_history(session, order_id=order.id)
    assert [e.action for e in events] == ["created"]
    c = clocks(session, order)
    assert set(c) == {"first_contact", "resolution"}  # a fault has no appointment clock (seed 004)
    assert c["first_contact"].due_at == datetime(2026, 11, 23, 12, 0, tzinfo=CST)
    assert c["first_contact"].warn_at == datetime(2026, 11, 23, 11, 36, tzinfo=CST)  # 80% of 2 h
    assert c["resolution"].due_at == datetime(2026, 11, 26, 18, 0, tzinfo=CST)
    assert fault(session, operator).number == "GD20261123000002"


def test_idempotency_key_and_external_id_return_the_same_order(session: Session, operator: Operator) -> None:
    first = fault(session, operator, idempotency_key="k-1")
    assert fault(session, operator, idempotency_key="k-1").id == first.id
    ext = fault(session, operator, external_id="CRM-9", channel="partner")
    assert fault(session, operator, external_id="CRM-9", channel="partner").id == ext.id
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "upgrade"}, "type: expected one of"),
        ({"region_code": "999999"}, "region_code: unknown region"),
        ({"channel": "pigeon"}, "channel: expected one of"),
        ({"description": "  "}, "description: expected a non-empty text"),
        ({"priority": 9}, "priority: expected 1"),
        ({"category_code": "NOPE"}, "category: unknown category"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    session: Session, operator: Operator, change: dict, message: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationFailed, match=message):
        fault(session, operator, **change)
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0


def test_pause_resume_and_meeting_clocks(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    service.transition_order(
        session, order_id=order.id, action="contact", at=MONDAY_10 + timedelta(minutes=30)
    )
    c = clocks(session, order)
    assert c["first_contact"].state == "met" and not c["first_contact"].breached
    before_due = c["resolution"].due_at
    # Waiting on the customer from Monday 11:00 to Tuesday 11:00: one working day (7.5 h) does not count.
    service.transition_order(
        session, order_id=order.id, action="pause", reason="客户出差", at=MONDAY_10 + timedelta(hours=1)
    )
    assert {k: v.state for k, v in clocks(session, order).items()} == {
        "first_contact": "met",
        "resolution": "paused",
    }
    service.transition_order(session, order_id=order.id, action="resume", at=MONDAY_10 + timedelta(hours=25))
    order = service.get_order(session, order_id=order.id)
    assert order.stage == "contacted"  # back where it paused
    c = clocks(session, order)
    assert c["resolution"].state == "running"
    assert c["resolution"].due_at == datetime(2026, 11, 27, 18, 0, tzinfo=CST)
    assert before_due == datetime(2026, 11, 26, 18, 0, tzinfo=CST)


def test_pause_shifts_a_natural_hours_clock_by_the_time_paused(session: Session, operator: Operator) -> None:
    order = fault(session, operator, type="install")
    service.transition_order(
        session, order_id=order.id, action="extract", at=MONDAY_10 + timedelta(minutes=30)
    )
    service.transition_order(
        session, order_id=order.id, action="pause", reason="客户出差", at=MONDAY_10 + timedelta(hours=1)
    )
    service.transition_order(session, order_id=order.id, action="resume", at=MONDAY_10 + timedelta(hours=25))
    service.transition_order(session, order_id=order.id, action="contact", at=MONDAY_10 + timedelta(hours=25))
    c = clocks(session, order)
    assert c["appointment"].due_at == MONDAY_10 + timedelta(hours=48)  # natural hours: 24 h paused
    service.transition_order(
        session,
        order_id=order.id,
        action="appoint",
        appointment_at=MONDAY_10 + timedelta(days=2),
        at=MONDAY_10 + timedelta(hours=26),
    )
    assert clocks(session, order)["appointment"].state == "met"


def test_resolve_reopen_runs_the_resolution_clock_again(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    at = MONDAY_10
    for action in ("contact", "appoint", "arrive"):
        at += timedelta(minutes=30)
        service.transition_order(session, order_id=order.id, action=action, appointment_at=at, at=at)
    service.transition_order(
        session, order_id=order.id, action="resolve", resolution_code="FIXED", at=at + timedelta(hours=1)
    )
    c = clocks(session, order)
    assert c["resolution"].state == "met" and c["resolution"].met_at is not None
    # Resolved Monday 12:30 (wait: 11:30 + 1 h), re-opened Wednesday 12:30: two working days pass unseen.
    service.transition_order(
        session,
        order_id=order.id,
        action="callback_unsatisfied",
        actor_id=operator.agent.id,  # a callback seat, not the resolver
        at=at + timedelta(days=2, hours=1),
    )
    order = service.get_order(session, order_id=order.id)
    assert (order.status, order.reopen_count) == ("inProgress", 1)
    c = clocks(session, order)
    assert c["resolution"].state == "running"
    assert c["resolution"].due_at == datetime(2026, 11, 30, 18, 0, tzinfo=CST)
    actions = [e.action for e in order_history(session, order_id=order.id)]
    assert actions[-2:] == ["callback_unsatisfied", "sla_reopened"]


def test_history_has_before_and_after(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    service.transition_order(
        session, order_id=order.id, action="contact", actor_id=operator.agent.id, at=MONDAY_10
    )
    event = order_history(session, order_id=order.id)[-1]
    assert event.actor_id == operator.agent.id
    assert {"field": "status", "before": "acknowledged", "after": "inProgress"} in event.changes
    assert {"field": "contact_attempts", "before": 0, "after": 1} in event.changes


def test_illegal_transition_and_stale_version_change_nothing(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    with pytest.raises(
        IllegalTransition, match="'arrive' is not allowed for a fault order in acknowledged/accepted"
    ):
        service.transition_order(session, order_id=order.id, action="arrive")
    with pytest.raises(StaleVersion, match="changed by someone else"):
        service.transition_order(
            session, order_id=order.id, action="contact", expected_version=order.version + 5
        )
    with pytest.raises(ValidationFailed, match="resolution_code"):
        service.transition_order(session, order_id=order.id, action="contact")
        service.transition_order(session, order_id=order.id, action="resolve")
    assert [e.action for e in order_history(session, order_id=order.id)] == ["created", "contact"]


def test_transfer_keeps_the_first_responsible_owner(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    service.transfer_order(
        session, order_id=order.id, team_id=operator.back_office.id, actor_id=operator.agent.id
    )
    assert order.owner_id == operator.agent.id
    assert order.team_id == operator.back_office.id


def test_assignment_picks_least_loaded_member_with_skill(session: Session, operator: Operator) -> None:
    t1, t2, t3 = operator.techs
    first = fault(session, operator)
    assert service.assign_order(session, order_id=first.id).assignee_id == t1.id
    second = fault(session, operator)
    assert service.assign_order(session, order_id=second.id).assignee_id == t2.id
    third = fault(session, operator)
    assert service.assign_order(session, order_id=third.id, skill="broadband").assignee_id in (t1.id, t2.id)
    fourth = fault(session, operator)
    assert service.assign_order(session, order_id=fourth.id).assignee_id == t3.id


def test_only_an_active_member_of_the_orders_team_can_be_assigned(
    session: Session, operator: Operator
) -> None:
    order = fault(session, operator)  # with the field crew
    session.flush()
    version = order.version
    outsider = operator.agent  # the back office's agent
    with pytest.raises(
        ValidationFailed, match=f"expected an active member of team {operator.field_team.id}"
    ) as refused:
        service.assign_order(session, order_id=order.id, assignee_id=outsider.id)
    assert refused.value.field == "assignee" and f"user {outsider.id} is not one" in refused.value.message
    operator.techs[2].active = False
    with pytest.raises(ValidationFailed, match="assignee: unknown or inactive user id") as inactive:
        service.assign_order(session, order_id=order.id, assignee_id=operator.techs[2].id)
    assert inactive.value.field == "assignee"
    session.flush()
    assert (order.assignee_id, order.version) == (None, version)
    assert [e.action for e in order_history(session, order_id=order.id)] == ["created"]

    assert service.assign_order(session, order_id=order.id, assignee_id=operator.techs[0].id).assignee_id == (
        operator.techs[0].id
    )
    # The team is the order's current one: after a transfer, its old crew is outside.
    service.transfer_order(session, order_id=order.id, team_id=operator.back_office.id)
    with pytest.raises(ValidationFailed, match=f"member of team {operator.back_office.id}"):
        service.assign_order(session, order_id=order.id, assignee_id=operator.techs[1].id)
    assert (
        service.assign_order(session, order_id=order.id, assignee_id=outsider.id).assignee_id == outsider.id
    )


def test_the_assignee_rule_names_what_was_expected() -> None:
    check_assignee(7, active=True, member_of=3, team_id=3)
    with pytest.raises(ValidationFailed, match="unknown or inactive user id 7"):
        check_assignee(7, active=False, member_of=3, team_id=3)
    with pytest.raises(ValidationFailed, match="the order has no team"):
        check_assignee(7, active=True, member_of=3, team_id=None)
    with pytest.raises(
        ValidationFailed, match="expected an active member of team 4, the order's team; user 7"
    ):
        check_assignee(7, active=True, member_of=3, team_id=4)
    with pytest.raises(ValidationFailed, match="expected an active member of team 4"):
        check_assignee(7, active=True, member_of=None, team_id=4)


def test_a_changed_policy_recomputes_open_clocks(session: Session, operator: Operator) -> None:
    order = fault(session, operator)
    resolution = clocks(session, order)["resolution"]
    target = session.scalars(
        select(SlaTarget).where(SlaTarget.policy_id == resolution.policy_id, SlaTarget.kind == "resolution")
    ).one()
    target.amount = 1
    assert recompute_policy_clocks(session, policy_id=resolution.policy_id, at=MONDAY_10) == 2
    assert clocks(session, order)["resolution"].due_at == datetime(2026, 11, 24, 18, 0, tzinfo=CST)


def test_an_order_reaching_into_an_unknown_year_is_recorded_provisional(
    session: Session, operator: Operator
) -> None:
    order = fault(session, operator, at=datetime(2026, 12, 31, 17, 0, tzinfo=CST))
    assert order.id is not None
    assert order.sla_provisional
    assert clocks(session, order)["resolution"].provisional


def test_provisional_clocks_are_recomputed_when_the_year_is_loaded(
    session: Session, operator: Operator, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from manyi.sla.recompute import calendar_year_load_flow

    order = fault(session, operator, at=datetime(2026, 12, 31, 17, 0, tzinfo=CST))
    assert clocks(session, order)["first_contact"].due_at == datetime(
        2027, 1, 1, 10, 0, tzinfo=CST
    )  # weekday guess
    text = "holidays:\n  - {name: 元旦, start: 2027-01-01, end: 2027-01-03}\n"
    loaded = calendar_year_load_flow(session, year=2027, text=text, filename="2027.yaml")
    assert loaded.recomputed.checked == 2
    c = clocks(session, order)
    assert c["first_contact"].due_at == datetime(2027, 1, 4, 10, 0, tzinfo=CST)
    assert c["resolution"].due_at == datetime(2027, 1, 6, 18, 0, tzinfo=CST)  # Jan 4, 5, 6
    assert not any(x.provisional for x in c.values())
    assert not service.get_order(session, order_id=order.id).sla_provisional


def test_concurrent_first_orders_of_a_day_get_distinct_numbers(
    engine, session: Session, operator: Operator
) -> None:  # type: ignore[no-untyped-def]
    import threading

    from sqlalchemy.orm import sessionmaker

    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                with factory() as s, s.begin():
                    numbers.append(fault(s, operator, at=datetime(2026, 11, 25, 9, 0, tzinfo=CST)).number)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"GD20261125{i:06d}" for i in range(1, 21)]


def test_created_order_object_is_its_row(session: Session, operator: Operator) -> None:
    """The object create_order returns (built without the unit of work) holds exactly what the
    database stored, and its clocks and "created" event reference it."""
    order = fault(session, operator, title="断网", idempotency_key="k-row", external_id="ext-row")
    session.commit()
    returned = {c.key: getattr(order, c.key) for c in WorkOrder.__table__.columns}
    session.expunge_all()
    stored = session.get(WorkOrder, order.id)
    assert stored is not None
    assert returned == {c.key: getattr(stored, c.key) for c in WorkOrder.__table__.columns}
    assert len(order_clocks(session, order_id=order.id)) == 2
    [event] = order_history(session, order_id=order.id)
    assert (event.action, event.actor_id, event.at) == ("created", operator.agent.id, MONDAY_10)
    assert {c["field"] for c in event.changes} == {"status", "stage", "team_id"}


def test_order_numbers_keep_every_digit_past_six(engine, session: Session, operator: Operator) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        session.execute(text("SELECT setval('work_order_number_seq', 999998)"))
    else:
        session.execute(text("INSERT INTO counters (name, value) VALUES ('work_order_number_seq', 999998)"))
    numbers = [fault(session, operator).number for _ in range(2)]
    assert numbers == ["GD20261123999999", "GD202611231000000"]
