"""The SLA sweep and the worker: every warning, breach and escalation fires exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from manyi.orders import service
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.org.models import Department, User
from manyi.outbox.models import OutboxMessage
from manyi.outbox.service import deliver_due
from manyi.sla.models import SlaClock
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=CST)


def make_orders(session: Session, op: Operator, n: int) -> list[WorkOrder]:
    return [
        service.create_order(
            session,
            type="fault",
            description=f"故障 {i}",
            channel="hotline",
            region_code="330106",
            actor_id=op.agent.id,
            at=MONDAY_10,
        )
        for i in range(n)
    ]


def steps(session: Session) -> list[str]:
    return sorted(str(k) for k in session.scalars(select(OutboxMessage.dedupe_key)))


def test_ladder_fires_each_step_once_to_the_right_people(session: Session, operator: Operator) -> None:
    lead = User(username="lead", display_name="班长", roles=["supervisor"])
    head = User(username="head", display_name="主任", roles=["supervisor"])
    boss = User(username="boss", display_name="分公司经理", roles=["branch_manager"], regions=["330100"])
    session.add_all([lead, head, boss])
    session.flush()
    operator.field_team.lead_user_id = lead.id
    session.get(Department, operator.field_team.department_id).head_user_id = head.id  # type: ignore[union-attr]
    (order,) = make_orders(session, operator, 1)
    service.assign_order(session, order_id=order.id, assignee_id=operator.techs[0].id)
    first_contact = next(c for c in session.scalars(select(SlaClock).where(SlaClock.kind == "first_contact")))

    assert sweep_due_clocks(session, at=MONDAY_10 + timedelta(minutes=30)) == 0  # nothing due: nothing read
    assert sweep_due_clocks(session, at=datetime(2026, 11, 2, 11, 40, tzinfo=CST)) == 1  # 80 % of 2 h
    assert sweep_due_clocks(session, at=datetime(2026, 11, 2, 11, 50, tzinfo=CST)) == 0
    version = order.version
    assert not order.sla_breached
    assert sweep_due_clocks(session, at=datetime(2026, 11, 2, 12, 0, tzinfo=CST)) == 1  # breach at 12:00
    assert first_contact.breached and first_contact.breached_at == datetime(2026, 11, 2, 12, 0, tzinfo=CST)
    session.refresh(order)
    # The order is flagged for the "breached" lists without a new version: an agent's ETag stays valid.
    assert order.sla_breached and order.version == version
    assert (
        sweep_due_clocks(session, at=datetime(2026, 11, 2, 16, 0, tzinfo=CST)) == 1
    )  # +4 h: department head
    assert (
        sweep_due_clocks(session, at=datetime(2026, 11, 3, 12, 0, tzinfo=CST)) >= 1
    )  # +24 h: branch manager
    msgs = {
        m.dedupe_key: m
        for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.payload["clock"].as_string() == "first_contact")
        )
    }
    fc = first_contact.id
    assert msgs[f"clock:{fc}:warning"].recipient_user_id == operator.techs[0].id
    assert msgs[f"clock:{fc}:breach"].recipient_user_id == lead.id
    assert msgs[f"clock:{fc}:escalation2"].recipient_user_id == head.id
    assert msgs[f"clock:{fc}:escalation3"].recipient_user_id == boss.id
    assert first_contact.next_check_at is None  # the ladder is done
    later = datetime(2026, 12, 1, tzinfo=CST)
    while sweep_due_clocks(session, at=later):
        pass
    # The resolution clock was first looked at after its deadline: a warning then would be noise,
    # so it goes straight to breach. 4 + 3 steps, each once (a fault has no appointment clock).
    assert len(steps(session)) == len(set(steps(session))) == 7
    events = session.scalars(select(OrderEvent.action).where(OrderEvent.order_id == order.id)).all()
    assert (
        events.count("sla_warning") == 1
        and events.count("sla_breach") == 2
        and events.count("sla_escalation") == 4
    )
    assert deliver_due(session, at=later) == 7
    assert deliver_due(session, at=later) == 0


def test_met_and_paused_clocks_do_not_fire(session: Session, operator: Operator) -> None:
    (order,) = make_orders(session, operator, 1)
    service.transition_order(
        session, order_id=order.id, action="contact", at=MONDAY_10 + timedelta(minutes=5)
    )
    service.transition_order(
        session, order_id=order.id, action="pause", reason="等待客户", at=MONDAY_10 + timedelta(minutes=6)
    )
    assert sweep_due_clocks(session, at=datetime(2026, 12, 1, tzinfo=CST)) == 0


def _run_worker(engine: Engine, stop_at: datetime, counter: list[int]) -> None:
    factory = sessionmaker(engine, expire_on_commit=False)
    while True:
        with factory() as s, s.begin():
            n = sweep_due_clocks(s, at=stop_at, limit=25)
        counter.append(n)
        if n == 0:
            return


@pytest.mark.postgres
def test_two_concurrent_workers_fire_each_step_once(
    engine: Engine, session: Session, operator: Operator
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent workers share rows through SKIP LOCKED on PostgreSQL")
    make_orders(session, operator, 60)
    session.commit()
    at = datetime(2026, 12, 31, tzinfo=CST)
    counts: list[list[int]] = [[], []]
    threads = [threading.Thread(target=_run_worker, args=(engine, at, c)) for c in counts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with Session(engine) as s:
        keys = list(s.scalars(select(OutboxMessage.dedupe_key)))
        assert len(keys) == len(set(keys)) == 60 * 2 * 3
        assert (
            s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action.like("sla_%")))
            == 60 * 2 * 3
        )
    assert sum(counts[0]) > 0 and sum(counts[1]) > 0  # both took a share


def test_worker_killed_mid_batch_loses_and_repeats_nothing(
    engine: Engine, session: Session, operator: Operator
) -> None:
    make_orders(session, operator, 200)
    session.commit()
    env = {
        **os.environ,
        "MANYI_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "MANYI_WORKER_BATCH_SIZE": "1",
    }
    worker = [sys.executable, "-m", "manyi.cli", "worker"]
    proc = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once it has committed some batches, mid-run
        with Session(engine) as s:
            if (s.scalar(select(func.count()).select_from(OutboxMessage)) or 0) >= 2:
                break
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    with Session(engine) as s:
        partial = s.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    assert 0 < partial < 200 * 2 * 3
    # The restarted worker finishes with normal batches: one step per transaction was only needed
    # to kill the first one between two commits (and makes the rest slow: 1,200 steps).
    recovery = {**env, "MANYI_WORKER_BATCH_SIZE": "200"}
    subprocess.run([*worker, "--once"], env=recovery, check=True, timeout=120, capture_output=True)
    with Session(engine) as s:
        keys = list(s.scalars(select(OutboxMessage.dedupe_key)))
        assert len(keys) == len(set(keys)) == 200 * 2 * 3
        assert (
            s.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.action.like("sla_%")))
            == 200 * 2 * 3
        )
        assert (
            s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
            == 0
        )
