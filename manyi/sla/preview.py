"""The SLA deadlines an order would get if it were created now, computed without saving anything:
the plan manyi.orders.service.create_order inserts (manyi.orders.planning.plan_order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.orders.planning import plan_order
from manyi.sla.policies import active_policies


@dataclass(frozen=True)
class Deadline:
    kind: str  # one of manyi.sla.models.TARGET_KINDS (not installation: it starts at hand-over)
    amount: float
    unit: str  # working_hours | working_days | natural_hours | natural_days
    due_at: datetime
    warn_at: datetime
    calendar_name: str
    provisional: bool  # computed past the calendar's holiday data: recomputed once it is loaded


@dataclass
class DeadlinePreview:
    at: datetime
    team_id: int | None
    policy_id: int | None
    policy_name: str | None
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        return any(d.provisional for d in self.deadlines)


def preview_deadlines(
    session: Session,
    *,
    type: str,
    channel: str,
    region_code: str,
    priority: int = 3,
    category_code: str | None = None,
    customer_id: int | None = None,
    subscription_id: int | None = None,
    at: datetime | None = None,
) -> DeadlinePreview:
    """Return the team and the SLA deadlines create_order would give this order at `at`; write nothing."""
    at = ensure_aware(at or now(), field="at")
    planned = plan_order(
        session,
        type=type,
        channel=channel,
        region_code=region_code,
        priority=priority,
        category_code=category_code,
        customer_id=customer_id,
        subscription_id=subscription_id,
        at=at,
    )
    policy_id = planned.clocks.policy_id
    policy_name = next((p.name for p in active_policies(session) if p.id == policy_id), None)
    return DeadlinePreview(
        at=at,
        team_id=planned.team_id,
        policy_id=policy_id,
        policy_name=policy_name,
        deadlines=[
            Deadline(
                kind=c["kind"],
                amount=c["amount"],
                unit=c["unit"],
                due_at=c["due_at"],
                warn_at=c["warn_at"],
                calendar_name=c["calendar_name"],
                provisional=bool(c["provisional"]),
            )
            for c in planned.clocks.rows
        ],
    )
