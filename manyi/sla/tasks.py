"""The SLA sweep: fire every due warning, breach and escalation exactly once.

Each claimed clock fires one step, writes its history event and outbox message, and moves
next_check_at on, all in the caller's transaction. A crash before commit fires nothing; after
commit, the clock no longer looks due. A warning first looked at after its deadline is skipped (the
breach says more); a worker catching up after downtime sends no stale warnings. Row locks (SKIP LOCKED) let several workers share the work
on PostgreSQL; the outbox dedupe key makes a double send impossible even if a rule were wrong.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from manyi.core.db import is_postgres
from manyi.core.settings import get_settings
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.org.models import Department, Team, User
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock
from manyi.sla.rules import settle

LADDER = ("team_lead", "department_head", "branch_manager")


def _branch_managers(session: Session) -> list[User]:
    return [
        u
        for u in session.scalars(select(User).where(User.active.is_(True)))
        if "branch_manager" in (u.roles or [])
    ]


def _recipient(
    role: str, order: WorkOrder, teams: dict[int, Team], depts: dict[int, Department], managers: list[User]
) -> int | None:
    team = teams.get(order.team_id) if order.team_id else None
    if role == "assignee":
        return order.assignee_id or order.owner_id
    if role == "team_lead":
        return team.lead_user_id if team else None
    if role == "department_head":
        dept = depts.get(team.department_id) if team else None
        return dept.head_user_id if dept else None
    for manager in managers:
        if (
            not manager.regions
            or order.region_code in manager.regions
            or order.region_code[:4] + "00" in manager.regions
        ):
            return manager.id
    return None


def sweep_due_clocks(session: Session, *, at: datetime, limit: int = 1000) -> int:
    """Fire the next step of up to limit due clocks; return how many steps fired."""
    query = select(SlaClock).where(SlaClock.next_check_at <= at).order_by(SlaClock.next_check_at).limit(limit)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    clocks = list(session.scalars(query))
    if not clocks:
        return 0
    orders = {
        o.id: o
        for o in session.scalars(select(WorkOrder).where(WorkOrder.id.in_({c.order_id for c in clocks})))
    }
    team_ids = {o.team_id for o in orders.values() if o.team_id}
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.id.in_(team_ids)))} if team_ids else {}
    dept_ids = {t.department_id for t in teams.values()}
    depts = (
        {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(dept_ids)))}
        if dept_ids
        else {}
    )
    managers = _branch_managers(session)
    delays = get_settings().escalation_delays_minutes

    events: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    breached_orders: set[int] = set()
    for clock in clocks:
        order = orders[clock.order_id]
        if clock.warned_at is None and clock.due_at > at:
            step, topic, role = "warning", "sla.warning", "assignee"
            clock.warned_at = at
            clock.next_check_at = clock.due_at
        elif not clock.breached:
            step, topic, role = "breach", "sla.breach", LADDER[0]
            clock.warned_at = clock.warned_at or at
            clock.breached, clock.breached_at, clock.escalation_level = True, clock.due_at, 1
            # Late: charged to the team holding the order when the sweep finds it so (the worker
            # sweeps every few seconds, so in practice the team holding it at its deadline).
            settle(clock, at=clock.due_at, on_time=False, team_id=order.team_id)
            breached_orders.add(order.id)
            clock.next_check_at = clock.due_at + timedelta(minutes=delays[1])
        else:
            level = clock.escalation_level + 1
            step, topic, role = f"escalation{level}", "sla.escalation", LADDER[level - 1]
            clock.escalation_level = level
            clock.next_check_at = (
                clock.due_at + timedelta(minutes=delays[level]) if level < len(LADDER) else None
            )
        recipient = _recipient(role, order, teams, depts, managers)
        detail = {"clock": clock.kind, "step": step, "due_at": clock.due_at.isoformat(), "notify": role}
        events.append(
            {
                "order_id": order.id,
                "at": at,
                "actor_id": None,
                "action": f"sla_{step.rstrip('0123456789')}",
                "changes": [],
                "note": str(detail),
            }
        )
        messages.append(
            {
                "created_at": at,
                "topic": topic,
                "channel": "log",
                "recipient_user_id": recipient,
                "order_id": order.id,
                "payload": {**detail, "order_number": order.number},
                "dedupe_key": f"clock:{clock.id}:{step}",
                "available_at": at,
                "attempts": 0,
            }
        )
    if breached_orders:
        # A plain UPDATE, not the ORM's: the flag is a summary of the clocks, not an edit of the
        # order, so it must neither bump the order's version (an agent's ETag stays valid) nor
        # collide with another worker breaching a second clock of the same order.
        session.execute(
            update(WorkOrder)
            .where(WorkOrder.id.in_(sorted(breached_orders)), WorkOrder.sla_breached.is_(False))
            .values(sla_breached=True)
            .execution_options(synchronize_session=False)
        )
    session.execute(insert(OrderEvent), events)
    session.execute(insert(OutboxMessage), messages)
    session.flush()
    return len(clocks)
