"""The SLA sweep: fire every due warning, breach and escalation exactly once.

Each claimed clock fires one step of the ladder (manyi.sla.escalation), writes its history event
and outbox message, and moves next_check_at on, all in the caller's transaction. A crash before
commit fires nothing; after commit, the clock no longer looks due. Row locks (SKIP LOCKED) let
several workers share the work on PostgreSQL; the outbox dedupe key makes a double send impossible
even if a rule were wrong.

The pass reads and writes columns with Core statements, not ORM objects: a catch-up after downtime
fires thousands of steps per transaction, and building, tracking and flushing an object per clock
and order cost several times the database's own work (bench/bench_sla_sweep.py measures the pass
against that floor).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from manyi.core.db import is_postgres
from manyi.core.settings import get_settings
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.outbox.models import OutboxMessage
from manyi.sla.escalation import LadderState, Recipients, next_rung, step_detail, step_message
from manyi.sla.models import SlaClock
from manyi.sla.rules import settle

_CLOCK = cast(Table, SlaClock.__table__)
_ORDER = cast(Table, WorkOrder.__table__)
_EVENT = cast(Table, OrderEvent.__table__)
_OUTBOX = cast(Table, OutboxMessage.__table__)

# One UPDATE for every step: the columns a step may move, each clock's own values.
_STEP = (
    update(_CLOCK)
    .where(_CLOCK.c.id == bindparam("b_id"))
    .values(
        warned_at=bindparam("b_warned_at"),
        breached=bindparam("b_breached"),
        breached_at=bindparam("b_breached_at"),
        escalation_level=bindparam("b_level"),
        next_check_at=bindparam("b_next_check_at"),
        settled_at=bindparam("b_settled_at"),
        settled_on_time=bindparam("b_settled_on_time"),
        credited_team_id=bindparam("b_credited_team_id"),
    )
)


def sweep_due_clocks(session: Session, *, at: datetime, limit: int = 1000) -> int:
    """Fire the next step of up to limit due clocks; return how many steps fired."""
    query = (
        select(
            _CLOCK.c.id,
            _CLOCK.c.order_id,
            _CLOCK.c.kind,
            _CLOCK.c.due_at,
            _CLOCK.c.warned_at,
            _CLOCK.c.breached,
            _CLOCK.c.breached_at,
            _CLOCK.c.escalation_level,
            _CLOCK.c.next_check_at,
            _CLOCK.c.settled_at,
            _CLOCK.c.settled_on_time,
            _CLOCK.c.credited_team_id,
        )
        .where(_CLOCK.c.next_check_at <= at)
        .order_by(_CLOCK.c.next_check_at)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    clocks = session.execute(query).all()
    if not clocks:
        return 0
    orders = {
        o.id: o
        for o in session.execute(
            select(
                _ORDER.c.id,
                _ORDER.c.number,
                _ORDER.c.team_id,
                _ORDER.c.assignee_id,
                _ORDER.c.owner_id,
                _ORDER.c.region_code,
            ).where(_ORDER.c.id.in_({c.order_id for c in clocks}))
        )
    }
    recipients = Recipients(session, {o.team_id for o in orders.values() if o.team_id})
    delays = tuple(timedelta(minutes=m) for m in get_settings().escalation_delays_minutes)

    steps: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    breached_orders: set[int] = set()
    for clock in clocks:
        order = orders[clock.order_id]
        before = LadderState(
            clock.warned_at, clock.breached, clock.breached_at, clock.escalation_level, clock.next_check_at
        )
        rung, after = next_rung(before, due=clock.due_at, now=at, delays=delays)
        outcome = SimpleNamespace(
            settled_at=clock.settled_at,
            settled_on_time=clock.settled_on_time,
            credited_team_id=clock.credited_team_id,
        )
        if after.breached and not before.breached:
            # Late: charged to the team holding the order when the sweep finds it so (the worker
            # sweeps every few seconds, so in practice the team holding it at its deadline).
            settle(outcome, at=clock.due_at, on_time=False, team_id=order.team_id)
            breached_orders.add(order.id)
        steps.append(
            {
                "b_id": clock.id,
                "b_warned_at": after.warned_at,
                "b_breached": after.breached,
                "b_breached_at": after.breached_at,
                "b_level": after.level,
                "b_next_check_at": after.next_check,
                "b_settled_at": outcome.settled_at,
                "b_settled_on_time": outcome.settled_on_time,
                "b_credited_team_id": outcome.credited_team_id,
            }
        )
        events.append(
            {
                "order_id": order.id,
                "at": at,
                "actor_id": None,
                "action": rung.action,
                "changes": [],
                "note": str(step_detail(clock.kind, rung, clock.due_at)),
            }
        )
        messages.append(
            step_message(
                kind=clock.kind,
                rung=rung,
                due_at=clock.due_at,
                clock_id=clock.id,
                order_id=order.id,
                order_number=order.number,
                recipient=recipients.for_role(rung.role, order),
                at=at,
            )
        )
    session.execute(_STEP, steps)
    if breached_orders:
        # A plain UPDATE: the flag is a summary of the clocks, not an edit of the order, so it must
        # neither bump the order's version (an agent's ETag stays valid) nor collide with another
        # worker breaching a second clock of the same order.
        session.execute(
            update(_ORDER)
            .where(_ORDER.c.id.in_(sorted(breached_orders)), _ORDER.c.sla_breached.is_(False))
            .values(sla_breached=True)
        )
    session.execute(insert(_EVENT), events)
    session.execute(insert(_OUTBOX), messages)
    _refresh_loaded(session, steps)
    return len(clocks)


_STEP_COLUMNS = {
    "warned_at": "b_warned_at",
    "breached": "b_breached",
    "breached_at": "b_breached_at",
    "escalation_level": "b_level",
    "next_check_at": "b_next_check_at",
    "settled_at": "b_settled_at",
    "settled_on_time": "b_settled_on_time",
    "credited_team_id": "b_credited_team_id",
}


def _refresh_loaded(session: Session, steps: list[dict[str, Any]]) -> None:
    """Clocks of these steps that the session already holds get the written values, as if the ORM
    had written them (without reloading anything: a reload would open a transaction)."""
    for step in steps:
        loaded = session.identity_map.get(identity_key(SlaClock, step["b_id"]))
        if loaded is not None:
            for column, key in _STEP_COLUMNS.items():
                set_committed_value(loaded, column, step[key])
