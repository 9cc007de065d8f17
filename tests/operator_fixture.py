"""A small operator: one province, a city, two districts, teams, staff, calendars and SLA policies."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from manyi.calendars.service import seed_calendars
from manyi.categories.models import Category
from manyi.customers.models import Customer, Subscription
from manyi.orders.models import RoutingRule
from manyi.org.models import Department, Region, Team, User
from manyi.sla.policies import seed_default_policies


@dataclass
class Operator:
    agent: User
    techs: list[User]
    field_team: Team
    back_office: Team
    customer: Customer
    broadband: Subscription
    callback_seat: User  # 回访坐席: records callbacks (closed loop), in no team so never auto-assigned


@pytest.fixture
def operator(session: Session) -> Operator:
    session.add_all(
        [
            Region(code="330000", name="浙江省", level="province"),
            Region(code="330100", name="杭州市", level="city", parent_code="330000"),
            Region(code="330106", name="西湖区", level="district", parent_code="330100"),
            Region(code="330200", name="宁波市", level="city", parent_code="330000"),
        ]
    )
    session.flush()
    dept = Department(name="装维中心", kind="field_own", region_code="330100")
    office = Department(name="业务支撑中心", kind="back_office", region_code="330000")
    session.add_all([dept, office])
    session.flush()
    field_team = Team(name="西湖装维班", department_id=dept.id, region_code="330106")
    back_office = Team(name="后台受理组", department_id=office.id, region_code="330000")
    session.add_all([field_team, back_office])
    session.flush()
    agent = User(username="agent1", display_name="坐席一", roles=["agent"], team_id=back_office.id)
    techs = [
        User(
            username=f"tech{i}",
            display_name=f"装维{i}",
            roles=["technician"],
            team_id=field_team.id,
            skills=skills,
        )
        for i, skills in enumerate((["broadband"], ["broadband", "iptv"], ["iptv"]), start=1)
    ]
    callback_seat = User(username="seat0", display_name="回访零", roles=["callback_agent"])
    session.add_all([agent, *techs, callback_seat])
    session.add(Category(code="NET", name="网络问题", path="NET"))
    customer = Customer(
        customer_no="C0001", name="张三", phone="13812345678", brand="gotone", region_code="330106"
    )
    session.add(customer)
    session.flush()
    broadband = Subscription(customer_id=customer.id, product="broadband", service_number="KD0571001")
    session.add(broadband)
    session.add_all(
        [
            RoutingRule(rank=10, order_type="fault", region_code="330100", team_id=field_team.id),
            RoutingRule(rank=90, team_id=back_office.id),
        ]
    )
    seed_calendars(session)
    seed_default_policies(session)
    session.flush()
    return Operator(agent, techs, field_team, back_office, customer, broadband, callback_seat)
