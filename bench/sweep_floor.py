"""The engine floor of one SLA sweep pass: the same reads and writes as the worker's pass, as plain
Core statements with no domain code, in the same number of transactions.

Per batch of due clocks: read them (locked on PostgreSQL) with their orders, UPDATE each clock's
step columns, flag the breached orders, INSERT one history event and one outbox message per clock,
commit. Then per batch of due messages: read them, and per message lock it again, mark it sent and
commit, as the worker records each delivery alone. What remains between the
worker's pass and this is the price of Manyi's own code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update

from manyi.orders.models import OrderEvent, WorkOrder
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock

CLOCK = SlaClock.__table__
ORDER = WorkOrder.__table__
EVENT = OrderEvent.__table__
OUTBOX = OutboxMessage.__table__


def sweep_floor(engine: Engine, *, at: datetime, batch: int, escalate_after: timedelta) -> tuple[int, int]:
    """Fire every clock due at `at` and mark every message sent; return (clocks, messages)."""
    postgres = engine.dialect.name == "postgresql"
    due = (
        select(CLOCK.c.id, CLOCK.c.order_id, CLOCK.c.kind, CLOCK.c.due_at)
        .where(CLOCK.c.next_check_at <= at)
        .order_by(CLOCK.c.next_check_at)
        .limit(batch)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
    step = (
        update(CLOCK)
        .where(CLOCK.c.id == bindparam("b_id"))
        .values(
            breached=True,
            breached_at=bindparam("b_due"),
            escalation_level=1,
            next_check_at=bindparam("b_next"),
        )
    )
    fired = 0
    while True:
        with engine.begin() as conn:
            clocks = conn.execute(due).all()
            if not clocks:
                break
            order_ids = sorted({c.order_id for c in clocks})
            numbers = dict(
                conn.execute(select(ORDER.c.id, ORDER.c.number).where(ORDER.c.id.in_(order_ids))).all()
            )
            conn.execute(
                step,
                [{"b_id": c.id, "b_due": c.due_at, "b_next": c.due_at + escalate_after} for c in clocks],
            )
            conn.execute(
                update(ORDER)
                .where(ORDER.c.id.in_(order_ids), ORDER.c.sla_breached.is_(False))
                .values(sla_breached=True)
            )
            events: list[dict[str, Any]] = []
            messages: list[dict[str, Any]] = []
            for c in clocks:
                detail = {
                    "clock": c.kind,
                    "step": "breach",
                    "due_at": c.due_at.isoformat(),
                    "notify": "team_lead",
                }
                events.append(
                    {
                        "order_id": c.order_id,
                        "at": at,
                        "actor_id": None,
                        "action": "sla_breach",
                        "changes": [],
                        "note": str(detail),
                    }
                )
                messages.append(
                    {
                        "created_at": at,
                        "topic": "sla.breach",
                        "channel": "log",
                        "recipient_user_id": None,
                        "order_id": c.order_id,
                        "payload": {**detail, "order_number": numbers[c.order_id]},
                        "dedupe_key": f"clock:{c.id}:breach",
                        "available_at": at,
                        "attempts": 0,
                    }
                )
            conn.execute(insert(EVENT), events)
            conn.execute(insert(OUTBOX), messages)
        fired += len(clocks)
        if len(clocks) < batch:
            break
    # Deliveries: the worker records each one in a transaction of its own as it succeeds (a kill
    # repeats at most the message in flight), so the floor commits each mark alone too: the batch
    # is read once, then each message is locked again, marked and committed.
    waiting = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.available_at <= at)
        .order_by(OUTBOX.c.available_at, OUTBOX.c.id)
        .limit(batch)
    )
    one = select(OUTBOX.c.id).where(OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.available_at <= at)
    if postgres:
        waiting = waiting.with_for_update(skip_locked=True)
        # As the worker: each mark commits without waiting for the disk flush (SET LOCAL).
        one = one.add_columns(func.set_config("synchronous_commit", "off", True)).with_for_update(
            skip_locked=True
        )
    sent_mark = (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("b_id"))
        .values(attempts=OUTBOX.c.attempts + 1, sent_at=at, available_at=None, last_error=None)
    )
    sent = 0
    with engine.connect() as conn:
        while True:
            with conn.begin():
                ids = conn.execute(waiting).scalars().all()
            for message_id in ids:
                with conn.begin():
                    if conn.execute(one, {"b_id": message_id}).first() is not None:
                        conn.execute(sent_mark, {"b_id": message_id})
                        sent += 1
            if len(ids) < batch:
                break
    return fired, sent
