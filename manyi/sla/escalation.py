"""The escalation ladder: which step a due clock fires next, who is told, and what is written.

One owner for the worker's sweep (manyi.sla.tasks) and the bulk writer, which replays the sweeps
that would have run by a given instant (manyi.bulk.clocks). `next_rung` is pure and works on
any instants that add and compare: aware datetimes with timedelta delays in the sweep, integer
microseconds in the bulk path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.org.models import Department, Team, User

# Who hears of a breach, then of each escalation: breach → team lead; +delays[1] → department
# head; +delays[2] → branch manager. A warning goes to whoever works the order.
LADDER = ("team_lead", "department_head", "branch_manager")
WARNING_ROLE = "assignee"

T = TypeVar("T")  # an instant: datetime, or int microseconds since the epoch
D = TypeVar("D")  # a delay: timedelta, or int microseconds


@dataclass(frozen=True)
class LadderState(Generic[T]):
    """The columns of a clock the ladder reads and moves."""

    warned_at: T | None
    breached: bool
    breached_at: T | None
    level: int
    next_check: T | None


@dataclass(frozen=True)
class Rung:
    """One step fired: its name (warning, breach, escalation2, escalation3) and who is told."""

    step: str
    role: str

    @property
    def topic(self) -> str:
        if self.step == "warning":
            return "sla.warning"
        return "sla.breach" if self.step == "breach" else "sla.escalation"

    @property
    def action(self) -> str:
        """The history event's action: sla_warning, sla_breach, sla_escalation."""
        return "sla_" + self.step.rstrip("0123456789")


def next_rung(state: LadderState[T], *, due: T, now: T, delays: tuple[D, ...]) -> tuple[Rung, LadderState[T]]:
    """The step a clock claimed at `now` fires, and its ladder columns after it.

    A warning first looked at after the deadline is skipped: the breach says more, and a worker
    catching up after downtime sends no stale warnings.
    """
    if state.warned_at is None and due > now:  # type: ignore[operator]
        return Rung("warning", WARNING_ROLE), LadderState(
            now, state.breached, state.breached_at, state.level, due
        )
    if not state.breached:
        warned = now if state.warned_at is None else state.warned_at
        after = due + delays[1]  # type: ignore[operator]
        return Rung("breach", LADDER[0]), LadderState(warned, True, due, 1, after)
    level = state.level + 1
    after = due + delays[level] if level < len(LADDER) else None  # type: ignore[operator]
    return Rung(f"escalation{level}", LADDER[level - 1]), LadderState(
        state.warned_at, True, state.breached_at, level, after
    )


def step_detail(kind: str, rung: Rung, due_at: datetime) -> dict[str, str]:
    """What the history event notes and the message carries about a fired step."""
    return {"clock": kind, "step": rung.step, "due_at": due_at.isoformat(), "notify": rung.role}


class OrderParties(Protocol):
    """What choosing a recipient reads of an order."""

    team_id: int | None
    assignee_id: int | None
    owner_id: int | None
    region_code: str


class Recipients:
    """Resolves a ladder role to the user told, from teams, departments and branch managers read once."""

    def __init__(self, session: Session, team_ids: set[int] | None = None) -> None:
        teams = select(Team) if team_ids is None else select(Team).where(Team.id.in_(team_ids))
        self.teams = (
            {t.id: (t.lead_user_id, t.department_id) for t in session.scalars(teams)}
            if (team_ids is None or team_ids)
            else {}
        )
        dept_ids = {dept for _lead, dept in self.teams.values()}
        self.heads = (
            dict(
                session.execute(
                    select(Department.id, Department.head_user_id).where(Department.id.in_(dept_ids))
                ).all()
            )
            if dept_ids
            else {}
        )
        self.managers = [
            (u.id, tuple(u.regions or ()))
            for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
            if "branch_manager" in (u.roles or [])
        ]

    def for_role(self, role: str, order: OrderParties) -> int | None:
        if role == WARNING_ROLE:
            return order.assignee_id or order.owner_id
        team = self.teams.get(order.team_id) if order.team_id else None
        if role == "team_lead":
            return team[0] if team else None
        if role == "department_head":
            return self.heads.get(team[1]) if team else None
        # The branch manager of the order's city (or one with every region).
        city = order.region_code[:4] + "00"
        for manager_id, regions in self.managers:
            if not regions or order.region_code in regions or city in regions:
                return manager_id
        return None


def step_message(
    *,
    kind: str,
    rung: Rung,
    due_at: datetime,
    clock_id: int,
    order_id: int,
    order_number: str,
    recipient: int | None,
    at: datetime,
) -> dict[str, Any]:
    """The outbox row of a fired step; its dedupe key names the clock and step, so never two."""
    return {
        "created_at": at,
        "topic": rung.topic,
        "channel": "log",
        "recipient_user_id": recipient,
        "order_id": order_id,
        "payload": {**step_detail(kind, rung, due_at), "order_number": order_number},
        "dedupe_key": f"clock:{clock_id}:{rung.step}",
        "available_at": at,
        "attempts": 0,
    }
