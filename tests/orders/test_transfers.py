"""A transfer goes only to a team that can see the order: the team's region is the order's region or
one above it (orders.transfers), in the service every entry point uses; a refusal changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.console.orders.overview import transfer_targets
from manyi.orders import service
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.orders.transfers import TransferOutsideRegion, check_transfer_target, team_covers
from manyi.org.models import Team
from tests.fixtures.operator import Operator

WEST_LAKE_CHAIN = ("330106", "330100", "330000")  # 西湖区 < 杭州市 < 浙江省


@pytest.mark.parametrize(
    ("team_region", "chain", "covers"),
    [
        ("330106", WEST_LAKE_CHAIN, True),  # the district's own crew
        ("330100", WEST_LAKE_CHAIN, True),  # the city covers its districts
        ("330000", WEST_LAKE_CHAIN, True),  # the province covers everything in it
        (None, WEST_LAKE_CHAIN, True),  # a team without a region works everywhere
        ("330200", WEST_LAKE_CHAIN, False),  # another city
        ("330106", ("330100", "330000"), False),  # a district's crew cannot see a city-level order
        ("330106", ("330200", "330000"), False),
        ("330106", (), False),  # an unknown order region is covered only by region-less teams
        (None, (), True),
    ],
)
def test_team_covers(team_region: str | None, chain: tuple[str, ...], covers: bool) -> None:
    assert team_covers(team_region, chain) is covers


def test_the_refusal_names_team_and_regions() -> None:
    with pytest.raises(TransferOutsideRegion) as refused:
        check_transfer_target(
            order_region="330106",
            order_region_chain=WEST_LAKE_CHAIN,
            team_id=7,
            team_label="宁波装维班",
            team_region="330200",
        )
    assert refused.value.status == 422 and refused.value.field == "team"
    assert refused.value.message == (
        "team: team 7 (宁波装维班) works in region 330200 and cannot see orders of region 330106; "
        "transfer to a team of region 330106 or of a region above it"
    )


@pytest.fixture
def ningbo_team(session: Session, operator: Operator) -> Team:
    team = Team(name="宁波装维班", department_id=operator.field_team.department_id, region_code="330200")
    session.add(team)
    session.flush()
    return team


def _order(session: Session, operator: Operator, region: str) -> WorkOrder:
    return service.create_order(
        session,
        type="inquiry",
        description="咨询",
        channel="hotline",
        region_code=region,
        actor_id=operator.agent.id,
    )


def test_a_transfer_to_a_team_of_another_region_is_refused_and_changes_nothing(
    session: Session, operator: Operator, ningbo_team: Team
) -> None:
    west_lake = _order(session, operator, "330106")
    hangzhou = _order(session, operator, "330100")
    session.commit()
    for order, team in ((west_lake, ningbo_team), (hangzhou, operator.field_team)):
        before = (order.team_id, order.assignee_id, order.version)
        events = len(list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))))
        with pytest.raises(TransferOutsideRegion, match=f"cannot see orders of region {order.region_code}"):
            service.transfer_order(session, order_id=order.id, team_id=team.id, actor_id=operator.agent.id)
        session.rollback()
        session.refresh(order)
        assert (order.team_id, order.assignee_id, order.version) == before
        assert len(list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)))) == events


def test_a_transfer_to_a_team_that_covers_the_region_works(
    session: Session, operator: Operator, ningbo_team: Team
) -> None:
    ningbo = _order(session, operator, "330200")
    service.transfer_order(session, order_id=ningbo.id, team_id=ningbo_team.id)
    assert ningbo.team_id == ningbo_team.id
    service.transfer_order(session, order_id=ningbo.id, team_id=operator.back_office.id)  # the province
    assert ningbo.team_id == operator.back_office.id
    west_lake = _order(session, operator, "330106")
    service.transfer_order(session, order_id=west_lake.id, team_id=operator.field_team.id)
    assert west_lake.team_id == operator.field_team.id


def test_transfer_targets_are_exactly_the_teams_that_cover_the_region(
    session: Session, operator: Operator, ningbo_team: Team
) -> None:
    session.commit()
    names = {
        region: {name for _id, name in transfer_targets(session, region_code=region)}
        for region in ("330106", "330100", "330200", "330000")
    }
    assert names == {
        "330106": {"西湖装维班", "后台受理组"},
        "330100": {"后台受理组"},
        "330200": {"宁波装维班", "后台受理组"},
        "330000": {"后台受理组"},
    }
