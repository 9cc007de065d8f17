"""The operator's SLA rules as the seeds state them (004: broadband service; 001: each step's
responsible unit), through the real services and sweep, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock, SlaPolicy, SlaTarget
from manyi.sla.policies import DEFAULT_POLICIES, seed_default_policies
from manyi.sla.service import order_clocks, recompute_policy_clocks
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=CST)  # office hours 09:00-12:00, 13:30-18:00
FRIDAY_15 = datetime(2026, 11, 27, 15, 0, tzinfo=CST)


def order(session: Session, op: Operator, type_: str, at: datetime = MONDAY_10) -> WorkOrder:
    return service.create_order(
        session,
        type=type_,
        description=f"{type_} 宽带",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
        at=at,
    )


def act(session: Session, o: WorkOrder, action: str, at: datetime, **kw: object) -> None:
    service.transition_order(session, order_id=o.id, action=action, at=at, **kw)  # type: ignore[arg-type]


def clocks(session: Session, o: WorkOrder) -> dict[str, SlaClock]:
    return {c.kind: c for c in order_clocks(session, order_id=o.id)}


def limits(session: Session, o: WorkOrder) -> dict[str, tuple[float, str]]:
    return {k: (c.amount, c.unit) for k, c in clocks(session, o).items()}


def test_seed004_fault_has_no_24h_appointment_clock(session: Session, operator: Operator) -> None:
    """Faults: first contact within 2 working hours, resolution in 3 working days, and no 24-hour
    appointment clock (that is the install pipeline's; the operator wants few visits, 预约率 <= 30 %):
    a remote fix that takes a day is neither late nor escalated."""
    fault = order(session, operator, "fault")
    assert limits(session, fault) == {
        "first_contact": (2, "working_hours"),
        "resolution": (3, "working_days"),
    }
    act(session, fault, "contact", MONDAY_10 + timedelta(minutes=30))
    tuesday = MONDAY_10 + timedelta(hours=25)  # fixed remotely the next day
    act(session, fault, "resolve", tuesday, resolution_code="fixed")
    assert sweep_due_clocks(session, at=tuesday + timedelta(hours=2)) == 0
    assert not fault.sla_breached
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # Where a visit is needed it is still booked, by appointment, without a clock of its own.
    visited = order(session, operator, "fault")
    act(session, visited, "contact", MONDAY_10 + timedelta(minutes=20))
    act(
        session,
        visited,
        "appoint",
        MONDAY_10 + timedelta(hours=30),
        appointment_at=MONDAY_10 + timedelta(days=2),
    )
    assert set(clocks(session, visited)) == {"first_contact", "resolution"}


def test_seed004_fault_first_contact_within_2_working_hours(session: Session, operator: Operator) -> None:
    """接到工单后2个工作小时内必须与客户进行首次联系: Friday 17:30 is due Monday 10:30."""
    late_friday = order(session, operator, "fault", at=datetime(2026, 11, 27, 17, 30, tzinfo=CST))
    assert clocks(session, late_friday)["first_contact"].due_at == datetime(2026, 11, 30, 10, 30, tzinfo=CST)


def test_seed004_install_extraction_within_2_hours_of_acceptance(
    session: Session, operator: Operator
) -> None:
    """分公司预约工单提取时限：2小时 -- met by the back office's `extract`."""
    on_time, late = order(session, operator, "install"), order(session, operator, "install")
    assert clocks(session, on_time)["extraction"].due_at == MONDAY_10 + timedelta(hours=2)
    act(session, on_time, "extract", MONDAY_10 + timedelta(hours=1, minutes=59))
    act(session, late, "extract", MONDAY_10 + timedelta(hours=2, minutes=1))
    ok, slow = clocks(session, on_time)["extraction"], clocks(session, late)["extraction"]
    assert (ok.state, ok.breached, ok.settled_on_time) == ("met", False, True)
    assert (slow.state, slow.breached, slow.settled_on_time) == ("met", True, False)
    assert slow.settled_at == MONDAY_10 + timedelta(hours=2)  # late from its deadline on


def test_seed004_install_phone_appointment_within_24_hours_of_acceptance(
    session: Session, operator: Operator
) -> None:
    """电话预约上门时限：400受理计起的24小时 -- from acceptance, not from extraction."""
    install = order(session, operator, "install")
    act(session, install, "extract", MONDAY_10 + timedelta(hours=1))
    assert clocks(session, install)["appointment"].due_at == MONDAY_10 + timedelta(hours=24)
    act(session, install, "contact", MONDAY_10 + timedelta(hours=20))
    act(
        session,
        install,
        "appoint",
        MONDAY_10 + timedelta(hours=23),
        appointment_at=MONDAY_10 + timedelta(days=2),
    )
    assert clocks(session, install)["appointment"].settled_on_time is True


def test_seed004_install_complete_within_3_natural_days(session: Session, operator: Operator) -> None:
    """安装总时限：3天, the one promise for own and partner (铁通) crews: 3个自然日 (to 24:00 of the
    third day after acceptance)."""
    install = order(session, operator, "install")
    resolution = clocks(session, install)["resolution"]
    assert (resolution.amount, resolution.unit) == (3, "natural_days")
    assert resolution.due_at == datetime(2026, 11, 27, 0, 0, tzinfo=CST)  # end of Thursday 26th


def test_seed004_install_task_3_working_days_from_the_back_offices_hand_over(
    session: Session, operator: Operator
) -> None:
    """装机及时率: installation within 3 working days of the crew receiving the task, which it
    does once the back office has extracted the order (IMEP 接到装机任务单)."""
    install = order(session, operator, "install", at=FRIDAY_15 - timedelta(hours=1))
    assert "installation" not in clocks(session, install)  # no task yet
    act(session, install, "extract", FRIDAY_15)
    task = clocks(session, install)["installation"]
    assert (task.started_at, task.amount, task.unit) == (FRIDAY_15, 3, "working_days")
    assert task.due_at == datetime(2026, 12, 2, 18, 0, tzinfo=CST)  # Mon, Tue, Wed
    # Handed on without an explicit extraction (the crew called first): the task starts then.
    direct = order(session, operator, "install")
    act(session, direct, "contact", MONDAY_10 + timedelta(hours=1))
    assert clocks(session, direct)["installation"].started_at == MONDAY_10 + timedelta(hours=1)
    for action, hours in (("appoint", 2), ("arrive", 3)):
        act(
            session,
            direct,
            action,
            MONDAY_10 + timedelta(hours=hours),
            appointment_at=MONDAY_10 + timedelta(hours=3),
        )
    act(session, direct, "resolve", MONDAY_10 + timedelta(hours=5), resolution_code="fixed")
    done = clocks(session, direct)
    assert done["installation"].state == done["resolution"].state == "met"
    # Cancelled before the hand-over: the task never started.
    dropped = order(session, operator, "install")
    act(session, dropped, "cancel", MONDAY_10 + timedelta(minutes=5), reason="客户撤销")
    assert "installation" not in clocks(session, dropped)


def test_seed004_move_follows_the_install_pipeline(session: Session, operator: Operator) -> None:
    """DOMAIN.md: these clocks belong to installs (and moves)."""
    move, install = order(session, operator, "move"), order(session, operator, "install")
    for o in (move, install):
        act(session, o, "extract", MONDAY_10 + timedelta(minutes=30))
    assert (
        limits(session, move)
        == limits(session, install)
        == {
            "extraction": (2, "natural_hours"),
            "appointment": (24, "natural_hours"),
            "installation": (3, "working_days"),
            "resolution": (3, "natural_days"),
        }
    )


def test_seed004_remove_is_extracted_and_booked_but_has_no_installation_clock(
    session: Session, operator: Operator
) -> None:
    """A removal is a 400 appointment order (预约工单: extracted, visit booked) but installs nothing:
    no installation task, and the 3-natural-day installation promise does not apply."""
    remove = order(session, operator, "remove")
    act(session, remove, "extract", MONDAY_10 + timedelta(minutes=30))
    assert limits(session, remove) == {
        "extraction": (2, "natural_hours"),
        "appointment": (24, "natural_hours"),
        "resolution": (3, "working_days"),
    }


def test_seed_default_policies_seeds_these_rules_on_a_fresh_install(
    session: Session, operator: Operator
) -> None:
    seed_default_policies(session)  # again: nothing added
    stored = {
        p.name: (p.order_types, {(t.kind, t.amount, t.unit) for t in session.scalars(select(SlaTarget).where(SlaTarget.policy_id == p.id))})
        for p in session.scalars(select(SlaPolicy))
    }  # fmt: skip
    assert stored == {name: (types, set(targets)) for name, _rank, types, targets in DEFAULT_POLICIES}
    covered = [t for _name, _rank, types, _targets in DEFAULT_POLICIES for t in types]
    assert sorted(covered) == sorted(set(covered))  # one default per order type


def test_seed001_each_step_is_credited_to_the_team_holding_the_order_then(
    session: Session, operator: Operator
) -> None:
    """每环节的责任单位: the crew made the first contact, the back office resolved it after a
    transfer; re-opened and handed back to the crew, neither step moves."""
    crew, office = operator.field_team.id, operator.back_office.id
    fault = order(session, operator, "fault")
    act(session, fault, "contact", MONDAY_10 + timedelta(minutes=30))
    service.transfer_order(session, order_id=fault.id, team_id=office, at=MONDAY_10 + timedelta(hours=1))
    act(session, fault, "resolve", MONDAY_10 + timedelta(hours=2), resolution_code="explained")
    act(
        session,
        fault,
        "callback_unsatisfied",
        MONDAY_10 + timedelta(hours=3),
        actor_id=operator.callback_seat.id,
    )
    service.transfer_order(session, order_id=fault.id, team_id=crew, at=MONDAY_10 + timedelta(hours=3))
    act(session, fault, "resolve", MONDAY_10 + timedelta(hours=4), resolution_code="fixed")
    c = clocks(session, fault)
    assert (c["first_contact"].credited_team_id, c["resolution"].credited_team_id) == (crew, office)
    assert c["first_contact"].settled_at == MONDAY_10 + timedelta(minutes=30)


def test_the_sweep_records_a_breach_against_the_team_holding_the_order(
    session: Session, operator: Operator
) -> None:
    fault = order(session, operator, "fault")
    service.transfer_order(session, order_id=fault.id, team_id=operator.back_office.id, at=MONDAY_10)
    sweep_due_clocks(session, at=MONDAY_10 + timedelta(hours=3))
    first = clocks(session, fault)["first_contact"]
    assert (first.breached, first.settled_on_time, first.credited_team_id) == (
        True,
        False,
        operator.back_office.id,
    )
    assert first.settled_at == first.due_at == MONDAY_10 + timedelta(hours=2)
    # Contacted later, by the crew it went back to: still the back office's late step.
    service.transfer_order(
        session, order_id=fault.id, team_id=operator.field_team.id, at=MONDAY_10 + timedelta(hours=4)
    )
    act(session, fault, "contact", MONDAY_10 + timedelta(hours=5))
    assert clocks(session, fault)["first_contact"].credited_team_id == operator.back_office.id


def test_an_unhappy_callback_keeps_the_resolution_outcome_first_settled(
    session: Session, operator: Operator
) -> None:
    """Re-opened after an on-time resolution, then running past its deadline: the clock escalates
    again, but its timeliness outcome stays the first one (the order counts once)."""
    inquiry = order(session, operator, "inquiry")
    act(session, inquiry, "resolve", MONDAY_10 + timedelta(hours=1), resolution_code="answered")
    act(
        session,
        inquiry,
        "callback_unsatisfied",
        MONDAY_10 + timedelta(hours=2),
        actor_id=operator.callback_seat.id,
    )
    resolution = clocks(session, inquiry)["resolution"]
    assert resolution.state == "running" and resolution.settled_at == MONDAY_10 + timedelta(hours=1)
    sweep_due_clocks(session, at=resolution.due_at + timedelta(minutes=1))
    assert resolution.breached and resolution.settled_on_time is True


def test_a_deadline_passed_unseen_is_late_when_the_order_is_paused_or_cancelled(
    session: Session, operator: Operator
) -> None:
    """No sweep came by (the worker was down): the outcome is still recorded, late, before the
    pause can move the deadline or the cancel stop the clock."""
    paused, cancelled, in_time = (order(session, operator, "fault") for _ in range(3))
    three_hours = MONDAY_10 + timedelta(hours=3)
    act(session, paused, "pause", three_hours, reason="客户出差")
    act(session, cancelled, "cancel", three_hours, reason="客户撤销")
    act(session, in_time, "cancel", MONDAY_10 + timedelta(minutes=10), reason="客户撤销")
    for o in (paused, cancelled):
        first = clocks(session, o)["first_contact"]
        assert (first.settled_at, first.settled_on_time) == (MONDAY_10 + timedelta(hours=2), False)
        assert first.credited_team_id == operator.field_team.id
    assert clocks(session, in_time)["first_contact"].settled_at is None  # owed nothing


def test_a_recompute_that_moves_a_deadline_past_now_undoes_a_late_outcome(
    session: Session, operator: Operator
) -> None:
    fault = order(session, operator, "fault")
    three_hours = MONDAY_10 + timedelta(hours=3)
    sweep_due_clocks(session, at=three_hours)
    first = clocks(session, fault)["first_contact"]
    assert first.settled_on_time is False
    target = session.scalars(
        select(SlaTarget).where(SlaTarget.policy_id == first.policy_id, SlaTarget.kind == "first_contact")
    ).one()
    target.amount = 4
    recompute_policy_clocks(session, policy_id=first.policy_id, at=three_hours)
    assert (first.breached, first.settled_at, first.credited_team_id) == (False, None, None)
    act(session, fault, "contact", three_hours + timedelta(minutes=10))
    assert first.settled_on_time is True
