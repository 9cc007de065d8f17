"""The bulk writer stores exactly what the services would: the same specs written in bulk and replayed
through create_order / transition_order / assign_order / transfer_order and the worker's sweep."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from manyi.bulk import group as bulk_group
from manyi.bulk import sink as bulk_io
from manyi.bulk.clocks import plan_target, timedelta_us, to_us
from manyi.bulk.writer import OrderSpec, Step, write_orders
from manyi.calendars.service import get_calendar
from manyi.categories.models import Category
from manyi.core.errors import ValidationFailed
from manyi.customers.models import Customer, Subscription
from manyi.orders import lifecycle, service
from manyi.orders.closed_loop import unreachable_rule
from manyi.orders.models import OrderCallback, OrderContact, OrderEvent, WorkOrder
from manyi.org.models import User
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock, SlaPolicy, SlaTarget
from manyi.sla.policies import TargetData
from manyi.sla.service import _plan_clock
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 30, 10, 0, 7, tzinfo=CST)  # deadlines reach into 2027: no holiday data, provisional
CREW = -1  # stands for the fixture's field crew in parameters, its id known only in the test
LADDER_ACTIONS = ("sla_warning", "sla_breach", "sla_escalation")


def _world(session: Session, op: Operator) -> dict[str, Any]:
    """More variety than the operator fixture: customers of other brands and products, a VIP policy
    on the 24x7 calendar, a category below NET."""
    net = session.scalars(select(Category).where(Category.code == "NET")).one()
    session.add(Category(code="NET.BB", name="宽带故障", parent_id=net.id, path="NET/NET.BB"))
    young = Customer(
        customer_no="C0002", name="李四", phone="13900000001", brand="mzone", region_code="330200"
    )
    vip = Customer(
        customer_no="C0003",
        name="王五",
        phone="13900000002",
        brand="gotone",
        vip_level=2,
        region_code="330106",
    )
    session.add_all([young, vip])
    session.flush()
    subs = [
        Subscription(customer_id=young.id, product="mobile", service_number="13900000001"),
        Subscription(customer_id=young.id, product="iptv", service_number="TV001"),
        Subscription(customer_id=vip.id, product="broadband", service_number="KD002"),
    ]
    session.add_all(subs)
    # The closed loop's people: a callback seat (callbacks and their attempts, never the resolver's)
    # and a complaint handler (withdraws complaints, with a reason).
    seat = User(username="seat1", display_name="回访一", roles=["callback_agent"])
    handler = User(username="handler1", display_name="专家一", roles=["complaint_handler"])
    session.add_all([seat, handler])
    policy = SlaPolicy(
        name="VIP 故障",
        rank=50,
        order_types=["fault"],
        brands=["gotone"],
        vip_levels=[2, 3],
        calendar_name="24x7",
    )
    session.add(policy)
    session.flush()
    session.add_all(
        [
            SlaTarget(policy_id=policy.id, kind="first_contact", amount=1, unit="working_hours"),
            SlaTarget(policy_id=policy.id, kind="resolution", amount=12, unit="natural_hours"),
        ]
    )
    session.flush()
    return {
        "customers": [
            (None, None),
            (op.customer.id, op.broadband.id),
            (young.id, subs[0].id),
            (young.id, subs[1].id),
            (vip.id, subs[2].id),
            (op.customer.id, None),
        ],
        "teams": [op.field_team.id, op.back_office.id],
        "members": {op.field_team.id: [t.id for t in op.techs], op.back_office.id: [op.agent.id]},
        # The fixture's routing: faults in a Hangzhou district go to the field crew, the rest to the office.
        "crew": op.field_team.id,
        "office": op.back_office.id,
        "actors": [op.agent.id, None],
        "seat": seat.id,
        "handler": handler.id,
    }


def random_specs(rng: random.Random, world: dict[str, Any], count: int) -> list[OrderSpec]:
    """Random walks through the state machine, plus assignments and transfers, ending before NOW."""
    specs = []
    for i in range(count):
        order_type = lifecycle.ORDER_TYPES[i % len(lifecycle.ORDER_TYPES)]
        customer_id, subscription_id = rng.choice(world["customers"])
        recent = rng.random() < 0.25  # young orders: warnings and open clocks at NOW
        created = NOW - timedelta(seconds=rng.randint(300, 4 * 3600 if recent else 20 * 86400))
        if rng.random() < 0.3:
            created += timedelta(microseconds=rng.randint(1, 999_999))
        status, stage, before_pause = lifecycle.INITIAL[0], lifecycle.INITIAL[1], None
        at = created
        steps: list[Step] = []
        failed: list[datetime] = []  # failed attempts since the resolution
        for _ in range(rng.randint(0, 10)):
            legal = lifecycle.next_actions(order_type, status, stage)  # transfer included where legal
            if status not in lifecycle.TERMINAL:
                legal += ["assign"] * 2
            if order_type == "complaint" and "close" in legal:
                legal.remove("close")  # a complaint closes through its callback
            if status == "resolved":
                legal += ["contact_failed"] * 2  # the callback seat tries to reach the customer
            if not legal:
                break
            action = rng.choice(legal)
            at = at + timedelta(minutes=rng.choice([0, 1, 7, 45, 100, 300, 900, 2000, 5000]))
            if rng.random() < 0.2:
                at += timedelta(microseconds=rng.randint(1, 999_999))
            if at > NOW:
                break
            actor = rng.choice(world["actors"])
            values: dict[str, Any] = {}
            if action in ("callback_ok", "callback_unsatisfied") or (
                action == "contact_failed" and status == "resolved"
            ):
                actor = world["seat"]
            if action == "contact_failed":
                values["outcome"] = rng.choice([None, "not_reached", "wrong_number"])
                if status == "resolved":
                    failed.append(at)
            elif action == "callback_ok":
                allowed = unreachable_rule(failed, required=3, spacing=timedelta(hours=2)).allowed
                values["outcome"] = rng.choice([None, "satisfied", "basically_satisfied"])
                values["outcome"] = "unreachable" if allowed and rng.random() < 0.7 else values["outcome"]
            elif action in ("cancel", "reject") and order_type == "complaint":
                actor, values["reason"] = world["handler"], "客户撤诉"
            if action in ("pause", "hold"):
                values["reason"] = "客户要求延后"
            elif action == "resolve":
                values["resolution_code"] = rng.choice(["FIXED", "EXPLAINED"])
                values["resolution"] = rng.choice(["问题已处理", None])
            elif action == "appoint":
                values["appointment_at"] = (at + timedelta(hours=rng.randint(2, 40))).astimezone(CST)
            elif action == "assign":
                # A position in the list of the order's team, known once its region is drawn (below).
                values["assignee_id"] = rng.randrange(3)
            elif action == "transfer":
                values["team_id"] = rng.choice(world["teams"])
                values["reason"] = rng.choice(["转派", None])
            elif rng.random() < 0.2:
                values["reason"] = "备注"
            steps.append(Step(action, at, actor, **values))
            if action not in ("assign", "transfer"):
                step = lifecycle.apply(order_type, status, stage, action, stage_before_pause=before_pause)
                if step.status in lifecycle.PAUSED and status not in lifecycle.PAUSED:
                    before_pause = stage
                status, stage = step.status, step.stage
                if action == "resolve":
                    failed = []
        spec = OrderSpec(
            type=order_type,
            description=f" 工单 {i} ",
            channel=rng.choice(service.CHANNELS),
            region_code=rng.choice(["330106", "330200", "330000"]),
            created_at=created.astimezone(CST) if rng.random() < 0.5 else created,
            category_code=rng.choice([None, "NET", "NET.BB"]),
            customer_id=customer_id,
            subscription_id=subscription_id,
            priority=rng.randint(1, 4),
            severity=rng.choice(service.SEVERITIES),
            title=rng.choice([None, "标题"]),
            actor_id=rng.choice(world["actors"]),
            steps=tuple(steps),
        )
        specs.append(spec._replace(steps=within_team(world, spec)))
    return specs


def unreachable_specs(world: dict[str, Any], count: int) -> list[OrderSpec]:
    """Complaints closed as unreachable: three failed callback attempts two hours apart, the first
    two minutes apart too (it does not count), then the callback."""
    specs = []
    for i in range(count):
        created = NOW - timedelta(days=3, hours=i)
        resolved = created + timedelta(hours=1)
        attempts = [resolved + timedelta(minutes=m) for m in (10, 12, 130, 255)]
        steps = (
            Step("contact", created + timedelta(minutes=20), world["actors"][0]),
            Step("resolve", resolved, world["actors"][i % 2], resolution_code="EXPLAINED"),
            *(
                Step("contact_failed", a, world["seat"], reason="无人接听", outcome=o)
                for a, o in zip(attempts, ("not_reached", "wrong_number", None, "not_reached"), strict=True)
            ),
            Step("callback_ok", attempts[-1] + timedelta(minutes=5), world["seat"], outcome="unreachable"),
        )
        specs.append(
            OrderSpec(
                type="complaint",
                description="联系不上的投诉",
                channel="hotline",
                region_code="330106",
                created_at=created,
                actor_id=world["actors"][0],
                steps=steps,
            )
        )
    return specs


def within_team(world: dict[str, Any], spec: OrderSpec) -> tuple[Step, ...]:
    """The spec's steps, each assignee drawn (as a position) turned into a member of the team the order
    is with at that step: where the fixture's routing puts it (faults in a Hangzhou district go to the
    field crew, the rest to the office), or where it was transferred since. A transfer drawn to the
    district's crew for an order of another region goes to the province's office instead: the crew
    could not see it (orders.transfers)."""
    team = world["crew"] if spec.type == "fault" and spec.region_code == "330106" else world["office"]
    steps = []
    for step in spec.steps:
        if step.action == "transfer":
            if step.team_id == world["crew"] and spec.region_code != "330106":
                step = step._replace(team_id=world["office"])
            team = step.team_id
        elif step.action == "assign":
            members = world["members"][team]
            step = step._replace(assignee_id=members[step.assignee_id % len(members)])
        steps.append(step)
    return tuple(steps)


def replay(session: Session, specs: list[OrderSpec]) -> list[int]:
    """The same histories through the services, then the worker's sweep at NOW until nothing is due."""
    ids = []
    for spec in specs:
        order = service.create_order(
            session,
            type=spec.type,
            description=spec.description,
            channel=spec.channel,
            region_code=spec.region_code,
            category_code=spec.category_code,
            customer_id=spec.customer_id,
            subscription_id=spec.subscription_id,
            priority=spec.priority,
            severity=spec.severity,
            title=spec.title,
            actor_id=spec.actor_id,
            at=spec.created_at,
        )
        for s in spec.steps:
            if s.action == "assign":
                service.assign_order(
                    session, order_id=order.id, assignee_id=s.assignee_id, actor_id=s.actor_id, at=s.at
                )
            elif s.action == "transfer":
                assert s.team_id is not None
                service.transfer_order(
                    session,
                    order_id=order.id,
                    team_id=s.team_id,
                    actor_id=s.actor_id,
                    reason=s.reason,
                    at=s.at,
                )
            else:
                service.transition_order(
                    session,
                    order_id=order.id,
                    action=s.action,
                    actor_id=s.actor_id,
                    reason=s.reason,
                    resolution_code=s.resolution_code,
                    resolution=s.resolution,
                    appointment_at=s.appointment_at,
                    outcome=s.outcome,
                    at=s.at,
                )
        ids.append(order.id)
    while sweep_due_clocks(session, at=NOW, limit=100_000):
        pass
    session.flush()
    return ids


def snapshot(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """Everything stored about each order, ids left out (raw stored text too, on SQLite)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    orders = {o.id: o for o in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids)))}
    result = []
    for oid in ids:
        order = orders[oid]
        row = {
            c.key: getattr(order, c.key) for c in WorkOrder.__table__.columns if c.key not in ("id", "number")
        }
        row["number_date"] = order.number[:10]
        clocks = [
            {c.key: getattr(k, c.key) for c in SlaClock.__table__.columns if c.key not in ("id", "order_id")}
            for k in session.scalars(select(SlaClock).where(SlaClock.order_id == oid).order_by(SlaClock.id))
        ]
        events = [
            (e.at, e.actor_id, e.action, e.changes, e.note)
            for e in session.scalars(
                select(OrderEvent).where(OrderEvent.order_id == oid).order_by(OrderEvent.id)
            )
        ]
        history = [e for e in events if e[2] not in LADDER_ACTIONS]
        ladder = sorted((e for e in events if e[2] in LADDER_ACTIONS), key=lambda e: (e[2], e[4]))
        messages = []
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.order_id == oid)):
            payload = dict(m.payload)
            assert payload.pop("order_number") == order.number
            clock_id, step = m.dedupe_key.split(":")[1:]
            assert session.get(SlaClock, int(clock_id)).order_id == oid  # type: ignore[union-attr]
            messages.append(
                (
                    m.topic,
                    m.channel,
                    m.recipient_user_id,
                    step,
                    json.dumps(payload, sort_keys=True),
                    m.created_at,
                    m.available_at,
                    m.attempts,
                )
            )
        messages.sort(key=repr)
        contacts = [
            (c.at, c.actor_id, c.outcome, c.note)
            for c in session.scalars(
                select(OrderContact).where(OrderContact.order_id == oid).order_by(OrderContact.id)
            )
        ]
        callbacks = [
            (c.at, c.actor_id, c.result, c.note)
            for c in session.scalars(
                select(OrderCallback).where(OrderCallback.order_id == oid).order_by(OrderCallback.id)
            )
        ]
        snap = {
            "order": row,
            "clocks": clocks,
            "history": history,
            "ladder": ladder,
            "messages": messages,
            "contacts": contacts,
            "callbacks": callbacks,
        }
        if sqlite:
            raw = session.connection().exec_driver_sql
            snap["raw_order"] = raw("SELECT * FROM work_orders WHERE id = ?", (oid,)).fetchone()[2:]
            snap["raw_clocks"] = [
                r[2:] for r in raw("SELECT * FROM sla_clocks WHERE order_id = ? ORDER BY id", (oid,))
            ]
            snap["raw_events"] = sorted(
                (r[2:] for r in raw("SELECT * FROM order_events WHERE order_id = ?", (oid,))), key=repr
            )
            for table in ("order_contacts", "order_callbacks"):
                snap[table] = [
                    r[2:] for r in raw(f"SELECT * FROM {table} WHERE order_id = ? ORDER BY id", (oid,))
                ]
        result.append(snap)
    return result


def test_bulk_writes_what_the_services_write(
    session: Session, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The comparison is of order, SLA and history rows: the notification triggers another test may
    # have installed in this process (customer SMS, inbox items) are outside it.
    from manyi.notify.triggers import on_order as notify_on_order
    from manyi.orders import hooks

    monkeypatch.setattr(hooks, "HOOKS", [h for h in hooks.HOOKS if h is not notify_on_order])
    world = _world(session, operator)
    specs = random_specs(random.Random(20261230), world, 397) + unreachable_specs(world, 3)
    built = {"one_order": 0, "fast_group": 0}  # both ways of building rows are held to the services

    def counted(name: str) -> Any:
        original = getattr(bulk_group, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            built[name] += len(args[0]) if name == "fast_group" else 1
            return original(*args, **kwargs)

        return call

    for name in built:
        monkeypatch.setattr(bulk_group, name, counted(name))
    bulk_ids = write_orders(session, specs, now=NOW, batch_size=150)
    assert built["one_order"] > 40 and built["fast_group"] > 200, built
    assert len(bulk_ids) == len(set(bulk_ids)) == 400
    # The bulk rows already are what the worker would leave at NOW: nothing is due.
    due = (
        select(func.count())
        .select_from(SlaClock)
        .where(SlaClock.next_check_at <= NOW, SlaClock.order_id.in_(bulk_ids))
    )
    assert session.scalar(due) == 0
    bulk = snapshot(session, bulk_ids)
    replayed = snapshot(session, replay(session, specs))
    for i, (got, expected) in enumerate(zip(bulk, replayed, strict=True)):
        for part in expected:
            assert got[part] == expected[part], f"spec {i} {part}: {specs[i]}"
    # The mix covered what it should.
    orders = [s["order"] for s in bulk]
    clocks = [c for s in bulk for c in s["clocks"]]
    assert {o["type"] for o in orders} == set(lifecycle.ORDER_TYPES)
    assert {o["status"] for o in orders} >= {
        "closed",
        "cancelled",
        "rejected",
        "pending",
        "inProgress",
        "resolved",
    }
    assert any(o["reopen_count"] for o in orders) and any(c["pauses"] for c in clocks)
    assert any(c["breached"] and c["state"] == "met" for c in clocks)
    assert {c["escalation_level"] for c in clocks} == {0, 1, 2, 3}
    assert any(c["warned_at"] and not c["breached"] for c in clocks)
    assert any(c["provisional"] for c in clocks) and any(o["appointment_at"] for o in orders)
    assert any(s["messages"] for s in bulk)
    # The closed loop: contact outcomes and every callback result, the contact rule met.
    assert {c[2] for s in bulk for c in s["contacts"]} == {"reached", "not_reached", "wrong_number"}
    assert {c[2] for s in bulk for c in s["callbacks"]} == {
        "satisfied",
        "basically_satisfied",
        "unsatisfied",
        "unreachable",
    }
    # The install pipeline's clocks (seed 004): extraction from acceptance, the crew's installation
    # task from the back office's hand-over, so it starts later than the order.
    kinds = {c["kind"] for c in clocks}
    assert {"extraction", "installation"} <= kinds
    assert any(
        c["kind"] == "installation" and c["started_at"] > s["order"]["created_at"]
        for s in bulk
        for c in s["clocks"]
    )
    # Outcomes recorded once with the team then holding the order: on time, late when met, late at
    # a breach or when stopped past the deadline, and some credited to a team the order has left.
    assert {c["settled_on_time"] for c in clocks} == {True, False, None}
    assert any(c["settled_at"] and c["state"] == "stopped" for c in clocks)
    assert any(c["settled_at"] and c["state"] == "running" for c in clocks)  # re-opened, or breached
    assert any(
        c["settled_at"] and c["credited_team_id"] != s["order"]["team_id"] for s in bulk for c in s["clocks"]
    )


def test_numbers_follow_the_sequence_and_the_local_date(session: Session, operator: Operator) -> None:
    late_evening = datetime(2026, 11, 23, 23, 30, tzinfo=CST)  # 15:30 UTC: the number takes the local date
    spec = OrderSpec(
        type="inquiry", description="咨询", channel="hotline", region_code="330106", created_at=late_evening
    )
    service.create_order(
        session, type="inquiry", description="x", channel="hotline", region_code="330106", at=late_evening
    )
    ids = write_orders(session, [spec, spec])
    numbers = [session.get(WorkOrder, i).number for i in ids]  # type: ignore[union-attr]
    assert numbers == ["GD20261123000002", "GD20261123000003"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "upgrade"}, "order 1: type: expected one of"),
        ({"channel": "pigeon"}, "order 1: channel: expected one of"),
        ({"description": "  "}, "order 1: description: expected a non-empty text"),
        ({"priority": 9}, "order 1: priority: expected 1"),
        ({"region_code": "999999"}, "order 1: region_code: unknown region"),
        ({"category_code": "NOPE"}, "order 1: category: unknown category"),
        ({"customer_id": 999}, "order 1: customer: unknown customer id 999"),
        (
            {"created_at": datetime(2026, 11, 23, 10)},
            "order 1: created_at: expected a datetime with a UTC offset",
        ),
        ({"steps": (Step("resolve", NOW),)}, "order 1, step 0 (resolve): action 'resolve' is not allowed"),
        (
            {"steps": (Step("contact", NOW), Step("pause", NOW))},
            "order 1, step 1 (pause): reason: pause needs a reason",
        ),
        (
            {"steps": (Step("contact", NOW), Step("resolve", NOW))},
            "order 1, step 1 (resolve): resolution_code:",
        ),
        (
            {"steps": (Step("contact", NOW), Step("appoint", NOW))},
            "order 1, step 1 (appoint): appointment_at:",
        ),
        (
            {"steps": (Step("assign", NOW, assignee_id=999),)},
            "order 1, step 0 (assign): assignee: unknown or inactive",
        ),
        (
            {"steps": (Step("transfer", NOW, team_id=999),)},
            "order 1, step 0 (transfer): team: unknown team id 999",
        ),
        (
            {"region_code": "330200", "steps": (Step("transfer", NOW, team_id=CREW),)},
            "order 1, step 0 (transfer): team: team CREW (西湖装维班) works in region 330106 and cannot see "
            "orders of region 330200",
        ),
        (
            {"steps": (Step("contact", NOW), Step("extract", NOW))},
            "order 1, step 1 (extract): action 'extract'",
        ),
        ({"steps": (Step("contact", NOW - timedelta(days=30)),)}, "order 1, step 0 (contact): at: "),
        (
            {"steps": (Step("contact", NOW), Step("contact_failed", NOW, outcome="reached"))},
            "order 1, step 1 (contact_failed): outcome: expected one of not_reached, wrong_number",
        ),
        (
            {
                "steps": (
                    Step("contact", NOW),
                    Step("resolve", NOW, resolution_code="X"),
                    Step("callback_ok", NOW),
                )
            },
            "order 1, step 2 (callback_ok): a callback is recorded by a member of staff with the ticket:callback",
        ),
        (
            {
                "type": "complaint",
                "steps": (
                    Step("contact", NOW),
                    Step("resolve", NOW, resolution_code="X"),
                    Step("close", NOW),
                ),
            },
            "order 1, step 2 (close): outcome: a resolved complaint closes only through its callback",
        ),
        (
            {"type": "complaint", "steps": (Step("cancel", NOW),)},
            "order 1, step 0 (cancel): reason: to cancel a complaint give the reason",
        ),
        (
            {"steps": (Step("contact", NOW + timedelta(seconds=1)),)},
            "order 1, step 0 (contact): at: is after `now`",
        ),
    ],
)
def test_a_bad_spec_is_named_and_nothing_is_written(
    session: Session, operator: Operator, change: dict[str, Any], message: str
) -> None:
    good = OrderSpec(
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        created_at=NOW - timedelta(days=1),
        customer_id=operator.customer.id,
        subscription_id=operator.broadband.id,
        actor_id=operator.agent.id,
    )
    session.commit()
    crew, change = operator.field_team.id, dict(change)  # the parameter is shared by both databases
    if "steps" in change:
        change["steps"] = tuple(s._replace(team_id=crew) if s.team_id == CREW else s for s in change["steps"])
    message = message.replace("CREW", str(crew))
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        write_orders(session, [good, good._replace(**change), good], now=NOW)
    assert raised.value.field is not None and raised.value.field.startswith("orders[1]")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0
    assert session.scalar(select(func.count()).select_from(OrderEvent)) == 0


def test_an_assignee_outside_the_orders_team_at_that_step_is_refused(
    session: Session, operator: Operator
) -> None:
    """As assign_order: the team routing gave the order, or the one it was transferred to since."""
    crew, office = operator.field_team.id, operator.back_office.id
    tech, agent = operator.techs[0].id, operator.agent.id
    good = OrderSpec(
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",  # routed to the field crew
        created_at=NOW - timedelta(days=1),
        customer_id=operator.customer.id,
        subscription_id=operator.broadband.id,
    )
    session.commit()
    refused = {
        (
            Step("assign", NOW, assignee_id=agent),
        ): f"order 0, step 0 (assign): assignee: expected an active member of team {crew}",
        (
            Step("assign", NOW, assignee_id=tech),
            Step("transfer", NOW, team_id=office),
            Step("assign", NOW, assignee_id=tech),
        ): f"order 0, step 2 (assign): assignee: expected an active member of team {office}",
    }
    for steps, message in refused.items():
        with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
            write_orders(session, [good._replace(steps=steps)], now=NOW)
        assert raised.value.field is not None and raised.value.field.endswith(".assignee")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0
    moved = (Step("transfer", NOW, team_id=office), Step("assign", NOW, assignee_id=agent))
    (order_id,) = write_orders(session, [good._replace(steps=moved)], now=NOW)
    order = session.get(WorkOrder, order_id)
    assert order is not None and (order.team_id, order.assignee_id) == (office, agent)


def test_deadlines_match_plan_clock_for_every_unit(session: Session, operator: Operator) -> None:
    """The vectorised planner against the scalar one, on random starts over two years (holidays, 调休,
    provisional 2027) and on both built-in calendars."""
    rng = np.random.default_rng(7)
    start = to_us(datetime(2025, 1, 1, tzinfo=UTC))
    starts = np.sort(start + rng.integers(0, 730 * 86400 * 10**6, 3000))
    starts[::3] -= starts[::3] % 10**6  # whole seconds too
    policy = type("P", (), {"id": 1, "warning_share": 0.8})()
    for name in ("office", "24x7"):
        cal = get_calendar(session, name=name)
        for target in (
            TargetData("first_contact", 2, "working_hours"),
            TargetData("response", 2, "working_days"),
            TargetData("appointment", 24, "natural_hours"),
            TargetData("resolution", 15, "natural_days"),
            TargetData("resolution", 0.75, "working_hours"),
        ):
            planned = plan_target(cal, target, 0.8, starts)
            for k in range(0, starts.size, 7):
                at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(starts[k]))
                row = _plan_clock(policy=policy, target=target, cal=cal, at=at)  # type: ignore[arg-type]
                got = (
                    int(planned.budget[k]),
                    int(planned.due_us[k]),
                    int(planned.warn_us[k]),
                    bool(planned.provisional[k]),
                )
                assert got == (
                    row["budget_seconds"],
                    to_us(row["due_at"]),
                    to_us(row["warn_at"]),
                    row["provisional"],
                ), (name, target, at)


def test_timedelta_rounding_matches_cpython() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.random(20000) * 2e6, np.arange(0, 50, 0.5) * 1e-6, [0.0, 1.5e-6, 2.5e-6]])
    expected = [timedelta(seconds=float(v)) // timedelta(microseconds=1) for v in values]
    assert timedelta_us(values).tolist() == expected


def test_sqlite_stores_sqlalchemy_text(session: Session, operator: Operator) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite storage format")
    spec = OrderSpec(type="inquiry", description="x", channel="hotline", region_code="330106", created_at=NOW)
    (oid,) = write_orders(session, [spec])
    stored = (
        session.connection()
        .execute(text("SELECT created_at FROM work_orders WHERE id = :i"), {"i": oid})
        .scalar()
    )
    assert stored == "2026-12-30 02:00:07.000000"


def test_copy_text_escapes_as_copy_reads_it() -> None:
    """COPY's text format: backslash, tab, newline and carriage return escaped, NULL as \\N; a chunk
    seen before (the batch's id lists) is reused, not converted again."""
    ids = [1, 2, 3]
    memo: bulk_io.Memo = {}
    notes = ["a\tb", "c\\d", None, "e\nf\r", '{"x": "\\u5ba2"}']
    assert bulk_io.copy_texts([notes], memo) == ["a\\tb", "c\\\\d", "\\N", "e\\nf\\r", '{"x": "\\\\u5ba2"}']
    assert bulk_io.copy_texts([["plain", None]], memo) == ["plain", "\\N"]
    assert bulk_io.copy_texts([ids, np.array([4, 5]), [True, False], [0.8, 2.0]], memo) == [
        "1", "2", "3", "4", "5", "True", "False", "0.8", "2.0",
    ]  # fmt: skip
    assert bulk_io.copy_texts([["[]"] * 3, [None] * 2], memo) == ["[]", "[]", "[]", "\\N", "\\N"]
    with pytest.raises(ValueError, match="NUL"):
        bulk_io.copy_texts([["a\x00b", "c"]], memo)


def test_bulk_callbacks_follow_the_closed_loop_as_the_services_do(
    session: Session, operator: Operator
) -> None:
    """001: not by the resolver; unreachable only after the contact rule (3 attempts 2 h apart)."""
    seat = User(username="seat1", display_name="回访一", roles=["callback_agent"])
    session.add(seat)
    session.commit()
    agent = operator.agent.id
    resolved = NOW - timedelta(days=1)
    base = (
        Step("contact", resolved - timedelta(hours=1)),
        Step("resolve", resolved, agent, resolution_code="X"),
    )
    good = OrderSpec(
        type="complaint",
        description="投诉",
        channel="hotline",
        region_code="330106",
        created_at=resolved - timedelta(hours=2),
    )
    refused = {
        (
            *base,
            Step("callback_ok", resolved, agent),
        ): "order 0, step 2 (callback_ok): you resolved this work order",
        (
            *base,
            Step("contact_failed", resolved + timedelta(minutes=1), seat.id),
            Step("contact_failed", resolved + timedelta(minutes=90), seat.id),
            Step("callback_ok", resolved + timedelta(hours=3), seat.id, outcome="unreachable"),
        ): "order 0, step 4 (callback_ok): outcome: unreachable needs 3 failed contact attempts at least 120 "
        "minutes apart since the order was resolved: 1 of 3 failed attempts; next possible after",
    }
    for steps, message in refused.items():
        with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
            write_orders(session, [good._replace(steps=steps)], now=NOW)
        session.rollback()
    (order_id,) = write_orders(
        session, [good._replace(steps=(*base, Step("callback_unsatisfied", NOW, seat.id)))], now=NOW
    )
    rows = session.execute(
        select(OrderCallback.result, OrderCallback.actor_id).where(OrderCallback.order_id == order_id)
    )
    assert [tuple(r) for r in rows] == [("unsatisfied", seat.id)]
