"""Seed 004: own crews promised installation in 3 days, 铁通's in 15; the operator makes one promise of
3 natural days for both and keeps each crew's internal limit. A policy's targets for a contractor
organisation apply while one of its crews holds the order."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.orders import service
from manyi.orders.models import OrderEvent, RoutingRule
from manyi.org.models import Department, Team
from manyi.org.organisations import create_organisation
from manyi.sla import policy_service
from manyi.sla.models import SlaPolicy, SlaTarget
from manyi.sla.policies import TargetData
from tests.fixtures.operator import Operator
from tests.sla.test_seed_rules import CST, MONDAY_10, act, clocks, limits, order

CREW_TASK = (5, "working_days")  # the contractor crew's internal limit in this test's policy


def _contractor(session: Session) -> tuple[int, Team]:
    tietong = create_organisation(session, name="铁通代维公司", kind="contractor")
    dept = Department(name="铁通代维", kind="field_partner", region_code="330000")
    session.add(dept)
    session.flush()
    crew = Team(name="铁通代维班", department_id=dept.id, region_code="330000", organisation_id=tietong.id)
    session.add(crew)
    policy = session.scalars(select(SlaPolicy).where(SlaPolicy.name == "装机 install")).one()
    session.add_all(
        [
            SlaTarget(
                policy_id=policy.id,
                kind="resolution",
                amount=3,
                unit="natural_days",
                organisation_id=tietong.id,
            ),
            SlaTarget(
                policy_id=policy.id,
                kind="installation",
                amount=5,
                unit="working_days",
                organisation_id=tietong.id,
            ),
        ]
    )
    session.flush()
    return tietong.id, crew


def test_seed004_a_contractor_crew_keeps_the_3_natural_day_promise_and_its_own_task_limit(
    session: Session, operator: Operator
) -> None:
    _org, crew = _contractor(session)
    install = order(session, operator, "install")
    act(session, install, "extract", MONDAY_10 + timedelta(hours=1))
    assert limits(session, install)["installation"] == (3, "working_days")  # the operator's own crews
    service.transfer_order(session, order_id=install.id, team_id=crew.id, actor_id=operator.agent.id)
    now = clocks(session, install)
    assert (now["installation"].amount, now["installation"].unit) == CREW_TASK
    assert now["installation"].due_at == datetime(2026, 11, 30, 18, 0, tzinfo=CST)  # 5th working day, close
    # the one external promise is unchanged: 24:00 of the third day after acceptance
    assert (now["resolution"].amount, now["resolution"].unit) == (3, "natural_days")
    assert now["resolution"].due_at == datetime(2026, 11, 27, 0, 0, tzinfo=CST)
    moved = session.execute(
        select(OrderEvent.note).where(
            OrderEvent.order_id == install.id, OrderEvent.action == "sla_recomputed"
        )
    ).scalars()
    assert any("铁通代维公司" in (note or "") and '"team"' in (note or "") for note in moved)
    # back to the operator's own crew: the own limit again
    service.transfer_order(session, order_id=install.id, team_id=operator.field_team.id)
    assert limits(session, install)["installation"] == (3, "working_days")


def test_seed004_an_order_routed_to_a_contractor_crew_starts_with_its_limits(
    session: Session, operator: Operator
) -> None:
    _org, crew = _contractor(session)
    session.add(RoutingRule(rank=5, order_type="install", team_id=crew.id))
    session.flush()
    install = order(session, operator, "install")
    assert install.team_id == crew.id
    act(session, install, "extract", MONDAY_10 + timedelta(hours=1))
    assert limits(session, install)["installation"] == CREW_TASK
    own = order(session, operator, "fault")  # routed to the own crew: the general fault limits
    assert limits(session, own)["resolution"] == (3, "working_days")


def test_a_changed_contractor_limit_recomputes_only_its_crews_orders(
    session: Session, operator: Operator
) -> None:
    org, crew = _contractor(session)
    theirs, ours = order(session, operator, "install"), order(session, operator, "install")
    for o in (theirs, ours):
        act(session, o, "extract", MONDAY_10 + timedelta(hours=1))
    service.transfer_order(session, order_id=theirs.id, team_id=crew.id)
    policy = session.scalars(select(SlaPolicy).where(SlaPolicy.name == "装机 install")).one()
    targets = policy_service.policy_targets(session, policy_id=policy.id)
    changed = [
        TargetData(t.kind, 4, t.unit, t.organisation_id)
        if (t.kind, t.organisation_id) == ("installation", org)
        else t
        for t in targets
    ]
    policy_service.update_policy(session, policy_id=policy.id, changes={"targets": changed})
    assert limits(session, theirs)["installation"] == (4, "working_days")
    assert limits(session, ours)["installation"] == (3, "working_days")


def test_a_contractor_limit_names_a_contractor_organisation(session: Session, operator: Operator) -> None:
    shop = create_organisation(session, name="西湖代销点", kind="channel_partner")
    policy = session.scalars(select(SlaPolicy).where(SlaPolicy.name == "装机 install")).one()
    targets = [
        *policy_service.policy_targets(session, policy_id=policy.id),
        TargetData("installation", 5, "working_days", shop.id),
    ]
    with pytest.raises(ValidationFailed, match="not a contractor organisation"):
        policy_service.update_policy(session, policy_id=policy.id, changes={"targets": targets})
