"""A contractor's own limits follow the order to its crew: when an order moves to a team of another
organisation, its open clocks take that organisation's targets (manyi.sla.policies.targets_for).

Seed 004: the operator's own crews promised installation in 3 days and 铁通's crews 15, and the
operator wants one external promise (3 natural days) for both, keeping each crew's internal limit.
A policy says so with targets for the contractor organisation; this module applies them when the
order is handed to, or taken away from, such a crew. Each deadline that moves is a history event
(sla_recomputed) saying which organisation's limit applies now.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.orders.models import WorkOrder
from manyi.org.reference import organisation_index, team_organisation
from manyi.sla.models import SlaClock
from manyi.sla.policies import policy_data, targets_for
from manyi.sla.service import Recomputed, recompute_clocks


def apply_team_limits(
    session: Session, *, order: WorkOrder, old_team_id: int | None, at: datetime, actor_id: int | None
) -> Recomputed:
    """Recompute the order's open clocks with the limits of its new team's organisation."""
    before, after = team_organisation(session, old_team_id), team_organisation(session, order.team_id)
    policy = policy_data(session, policy_id=order.sla_policy_id) if order.sla_policy_id else None
    if before == after or policy is None:
        return Recomputed(checked=0, moved=0)
    targets = {t.kind: t for t in targets_for(policy, after)}
    clocks = list(
        session.scalars(
            select(SlaClock).where(SlaClock.order_id == order.id, SlaClock.state.in_(("running", "paused")))
        )
    )
    limits: dict[int, tuple[float, str, float]] = {}
    for clock in clocks:
        target = targets.get(clock.kind)
        # A kind the new organisation's targets lack keeps its limit: the promise made stands.
        if target is not None and (target.amount, target.unit) != (clock.amount, clock.unit):
            limits[clock.id] = (target.amount, target.unit, clock.warning_share)
    if not limits:
        return Recomputed(checked=len(clocks), moved=0)
    org = organisation_index(session).get(after) if after is not None else None
    why = {"change": "team", "organisation": org.name if org else "own"}
    changed = [c for c in clocks if c.id in limits]
    return recompute_clocks(session, clocks=changed, why=why, at=at, actor_id=actor_id, limits=limits)
