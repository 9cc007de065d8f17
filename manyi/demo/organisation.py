"""The demo operator's organisation: departments, teams, staff, routing rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from faker import Faker
from sqlalchemy.orm import Session

from manyi.orders.models import RoutingRule
from manyi.org.models import Department, Organisation, Region, Team, User
from manyi.org.passwords import hash_password

DEMO_PASSWORD = "manyi-demo"
# One of each role, as the README lists them.
DEMO_USERS = (
    "agent1, dispatcher1, tech1, handler1, supervisor1, manager1, inspector1, auditor1, admin, shop1, crew1"
)


@dataclass
class DemoOrg:
    cities: list[Region]
    districts: dict[str, list[Region]]  # city code -> districts
    hotline_agents: list[User] = field(default_factory=list)
    callback_agents: list[User] = field(default_factory=list)  # 回访坐席: make the callbacks
    teams: dict[str, Team] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)
    shop: Organisation | None = None  # the channel partner (代销点) and the city it sells in
    shop_city: Region | None = None
    contractor: Organisation | None = None  # 铁通, whose crew installs where the own crews do not


def build_organisation(session: Session, fake: Faker, *, regions: list[Region], staff: int = 50) -> DemoOrg:
    """Create departments, teams with leads, about `staff` users and routing rules."""
    province = next(r for r in regions if r.level == "province")
    cities = [r for r in regions if r.level == "city"]
    districts = {c.code: [r for r in regions if r.parent_code == c.code] for c in cities}
    org = DemoOrg(cities=cities, districts=districts)
    password = hash_password(DEMO_PASSWORD)  # one hash for all demo users: argon2 is slow on purpose

    def person(
        username: str,
        roles: list[str],
        team: Team | None,
        regions_: list[str],
        skills: list[str] | None = None,
        organisation: Organisation | None = None,
    ) -> User:
        user = User(
            username=username,
            organisation_id=organisation.id if organisation else None,
            display_name=fake.name(),
            roles=roles,
            regions=regions_,
            team_id=team.id if team else None,
            skills=skills or [],
            phone=fake.phone_number(),
            password_hash=password,
        )
        session.add(user)
        org.users.append(user)
        return user

    depts = {}
    for kind, name in (
        ("hotline", "10086客服热线中心"),
        ("back_office", "业务支撑中心"),
        ("network", "网络维护中心"),
        ("field_own", "装维中心"),
        ("field_partner", "铁通代维公司"),
        ("complaint_expert", "投诉处理专家组"),
        ("management", f"{province.name}分公司"),
    ):
        depts[kind] = Department(name=name, kind=kind, region_code=province.code)
    session.add_all(depts.values())
    main_cities = cities[:3]
    # Seed 004: 铁通 is a contractor (代维) whose crew installs for the operator; a channel partner
    # (代销点) sells broadband in one city and follows its own customers' orders, nobody else's.
    org.contractor = Organisation(name="铁通代维公司", kind="contractor", region_code=province.code)
    org.shop_city = main_cities[0]
    org.shop = Organisation(
        name=f"{org.shop_city.name}天翼代销点", kind="channel_partner", region_code=org.shop_city.code
    )
    session.add_all([org.contractor, org.shop])
    session.flush()

    def team(key: str, name: str, kind: str, region: str, organisation: Organisation | None = None) -> Team:
        t = Team(
            name=name,
            department_id=depts[kind].id,
            region_code=region,
            organisation_id=organisation.id if organisation else None,
        )
        session.add(t)
        org.teams[key] = t
        return t

    team("hotline", "热线一组", "hotline", province.code)
    team("callback", "回访组", "hotline", province.code)
    team("back_office", "后台派单组", "back_office", province.code)
    team("network", "网络优化班", "network", province.code)
    team("complaint", "投诉专家组", "complaint_expert", province.code)
    for city in main_cities:
        team(f"field:{city.code}", f"{city.name}装维班", "field_own", city.code)
    team("partner", "铁通代维班", "field_partner", province.code, org.contractor)
    session.flush()

    admin = person("admin", ["admin"], None, [])
    person("supervisor1", ["supervisor"], org.teams["back_office"], [])
    person("auditor1", ["auditor"], None, [])
    # A branch manager reads everything but holds no pii:read: the demo shows masked phones with them.
    manager = person("manager1", ["branch_manager"], None, [])
    org.hotline_agents = [person(f"agent{i}", ["agent"], org.teams["hotline"], []) for i in range(1, 13)]
    dispatchers = [
        person(f"dispatcher{i}", ["dispatcher"], org.teams["back_office"], []) for i in range(1, 5)
    ]
    org.callback_agents = [
        person(f"callback{i}", ["callback_agent"], org.teams["callback"], []) for i in range(1, 4)
    ]
    handlers = [person(f"handler{i}", ["complaint_handler"], org.teams["complaint"], []) for i in range(1, 6)]
    network = [person(f"noc{i}", ["dispatcher"], org.teams["network"], []) for i in range(1, 4)]
    techs = []
    n = 1
    for city in main_cities:
        for _ in range(6):
            skills = ["broadband", "iptv"] if n % 2 else ["broadband"]
            techs.append(
                person(f"tech{n}", ["technician"], org.teams[f"field:{city.code}"], [city.code], skills)
            )
            n += 1
    # The contractor's crew: technicians of the province (not all regions), of their organisation.
    partner_techs = [
        person(
            f"crew{i}", ["technician"], org.teams["partner"], [province.code], ["broadband"], org.contractor
        )
        for i in range(1, 4)
    ]
    # The channel partner's staff: its city only, and within it only its organisation's orders.
    for i in range(1, 3):
        person(f"shop{i}", ["partner"], None, [org.shop_city.code], organisation=org.shop)
    person("inspector1", ["inspector"], None, [])
    while len(org.users) < staff:
        person(f"agent{len(org.hotline_agents) + 1}", ["agent"], org.teams["hotline"], [])
    session.flush()
    leads = {
        "hotline": org.hotline_agents[0],
        "callback": org.callback_agents[0],
        "back_office": dispatchers[0],
        "complaint": handlers[0],
        "network": network[0],
        "partner": partner_techs[0],
    }
    for key, t in org.teams.items():
        t.lead_user_id = (leads.get(key) or next(u for u in techs if u.team_id == t.id)).id
    for kind, dept in depts.items():
        dept.head_user_id = (manager if kind == "management" else admin).id
    # Routing: complaints to the experts, on-site work to the city's own crew (else the partner), rest to the back office.
    rules = [RoutingRule(rank=10, order_type="complaint", team_id=org.teams["complaint"].id)]
    for order_type in ("fault", "install", "remove", "move"):
        rules += [
            RoutingRule(
                rank=20, order_type=order_type, region_code=c.code, team_id=org.teams[f"field:{c.code}"].id
            )
            for c in main_cities
        ]
        rules.append(RoutingRule(rank=30, order_type=order_type, team_id=org.teams["partner"].id))
    rules.append(RoutingRule(rank=90, team_id=org.teams["back_office"].id))
    session.add_all(rules)
    session.flush()
    return org
