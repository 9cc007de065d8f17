"""The agent workbench: caller lookup, customer panel, new order with deadline preview, and queues."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from manyi.categories.models import Category
from manyi.customers.contacts import ContactIn
from manyi.customers.erasure import erase_customer
from manyi.customers.models import Customer, Subscription
from manyi.customers.service import create_customer
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.orders.service import create_order, transition_order
from manyi.sla.models import SlaClock
from manyi.sla.preview import preview_deadlines
from tests.fixtures.console import Console, text_of

REGION = ("330106",)


def _order_count(console: Console) -> int:
    count = console.session.scalar(select(func.count()).select_from(WorkOrder)) or 0
    console.session.rollback()
    return int(count)


def _other_customer(console: Console, *, name: str, region: str, phone: str) -> Customer:
    customer = Customer(
        customer_no=f"C9{phone[-4:]}", name=name, phone=phone, brand="mzone", region_code=region
    )
    console.session.add(customer)
    console.session.commit()
    return customer


def _form(console: Console, **changes: str) -> dict[str, str]:
    op = console.operator
    form = {
        "customer": str(op.customer.id),
        "idempotency_key": "k1",
        "type": "complaint",
        "category": "NET",
        "channel": "hotline",
        "priority": "2",
        "severity": "major",
        "subscription": str(op.broadband.id),
        "title": "宽带断网",
        "description": "客户反映宽带断网两天",
        "intent": "save",
    }
    return form | changes


# --- rights -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "complaint_handler", "supervisor"])
def test_front_line_roles_use_the_workbench_and_open_orders(console: Console, role: str) -> None:
    staff = console.user(role, REGION)
    customer_id = console.operator.customer.id
    assert staff.get("/workbench").status_code == 200
    assert staff.get(f"/workbench/customer/{customer_id}").status_code == 200
    assert staff.get(f"/workbench/new?customer={customer_id}").status_code == 200
    created = staff.post("/workbench/new", data=_form(console, idempotency_key=role))
    assert created.status_code == 303 and created.headers["location"].startswith("/orders/GD")


@pytest.mark.parametrize("role", ["technician", "inspector"])
def test_roles_without_ticket_create_are_refused_the_new_order_form(console: Console, role: str) -> None:
    staff = console.user(role, REGION)
    customer_id = console.operator.customer.id
    assert staff.get(f"/workbench/new?customer={customer_id}").status_code == 403
    assert staff.post("/workbench/new", data=_form(console)).status_code == 403
    # not front-line roles: the workbench is not in their menu, so its pages refuse them too
    assert staff.get("/workbench").status_code == 403
    assert staff.get(f"/workbench/customer/{customer_id}").status_code == 403
    assert _order_count(console) == 0


def test_a_customer_outside_the_agents_regions_looks_missing(console: Console) -> None:
    ningbo = console.user("agent", ("330200",))
    customer_id = console.operator.customer.id
    assert ningbo.get(f"/workbench/customer/{customer_id}").status_code == 404
    assert ningbo.get(f"/workbench/new?customer={customer_id}").status_code == 404
    assert ningbo.post("/workbench/new", data=_form(console)).status_code == 404
    assert _order_count(console) == 0
    # …and the lookup does not find it either
    page = ningbo.get("/workbench?q=13812345678")
    assert page.status_code == 200 and "张三" not in page.text


# --- lookup and masking -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["13812345678", "138 1234 5678", "+8613812345678", "KD0571001", "kd0571001", "C0001", "张三"]
)
def test_lookup_by_each_key_goes_straight_to_the_single_caller(console: Console, query: str) -> None:
    agent = console.user("agent", REGION)
    found = agent.get("/workbench", params={"q": query})
    assert found.status_code == 303
    assert found.headers["location"] == f"/workbench/customer/{console.operator.customer.id}"


def test_lookup_by_name_prefix_lists_only_customers_in_scope(console: Console) -> None:
    _other_customer(console, name="张四", region="330106", phone="13900001111")
    _other_customer(console, name="张五", region="330200", phone="13900002222")
    agent = console.user("agent", REGION)
    page = agent.get("/workbench", params={"q": "张"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "张三" in text and "张四" in text and "张五" not in text
    assert "13812345678" in text  # the agent may read phone numbers
    nothing = agent.get("/workbench", params={"q": "李"})
    assert "没有匹配" in text_of(nothing.text)


def test_phones_are_masked_for_roles_without_the_pii_permission(console: Console) -> None:
    _other_customer(console, name="张四", region="330106", phone="13900001111")
    partner = console.user("partner", REGION)
    listing = text_of(partner.get("/workbench", params={"q": "张"}).text)
    assert "138****5678" in listing and "13812345678" not in listing
    panel = text_of(partner.get(f"/workbench/customer/{console.operator.customer.id}").text)
    assert "138****5678" in panel and "13812345678" not in panel
    # a role that may not read phone numbers may not turn one into a name either
    by_phone = partner.get("/workbench", params={"q": "13812345678"})
    assert by_phone.status_code == 403 and "张三" not in by_phone.text
    assert "您的角色无权按完整的手机号码或证件号码查询" in text_of(by_phone.text)
    agent_panel = text_of(
        console.user("agent", REGION).get(f"/workbench/customer/{console.operator.customer.id}").text
    )
    assert "13812345678" in agent_panel


# --- customer panel -----------------------------------------------------------------------------


def test_customer_panel_shows_facts_products_open_orders_and_history(console: Console) -> None:
    op = console.operator
    op.customer.vip_level, op.customer.list_flag = 2, "red"
    op.broadband.address = "西湖区文三路 1 号"
    session = console.session
    open_order = create_order(
        session,
        type="fault",
        description="断网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
    )
    done = create_order(
        session,
        type="inquiry",
        description="咨询资费",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        actor_id=op.agent.id,
    )
    transition_order(session, order_id=done.id, action="cancel", reason="客户撤销", actor_id=op.agent.id)
    old = create_order(
        session,
        type="inquiry",
        description="很久以前",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        at=datetime.now(UTC) - timedelta(days=120),
    )
    session.commit()
    page = console.user("agent", REGION).get(f"/workbench/customer/{op.customer.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    for fact in ("C0001", "全球通", "金卡", "红名单", "宽带", "KD0571001", "西湖区文三路 1 号"):
        assert fact in text, fact
    open_section = page.text.split('id="open-title"')[1].split('id="history-title"')[0]
    assert f'href="/orders/{open_order.number}"' in open_section
    assert done.number not in open_section
    assert 'class="clock ' in open_section
    history = page.text.split('id="history-title"')[1]
    assert f'href="/orders/{done.number}"' in history and old.number not in history


# --- new order: preview, create, errors ---------------------------------------------------------


def test_preview_shows_the_deadlines_and_saves_nothing(console: Console) -> None:
    agent = console.user("agent", REGION)
    form = agent.get(f"/workbench/new?customer={console.operator.customer.id}")
    assert '<label for="category-search">' in form.text and 'data-filter-list="category"' in form.text
    response = agent.post("/workbench/new", data=_form(console, intent="preview", description=""))
    assert response.status_code == 200
    text = text_of(response.text)
    assert "首次联系" in text and "答复" in text and "解决" in text
    assert "2 工作小时" in text and "2 工作日" in text and "15 自然日" in text
    assert len(re.findall(r'<time datetime="20', response.text)) == 3
    assert 'value="save" class="primary" autofocus' in response.text
    assert _order_count(console) == 0


def test_preview_computes_what_create_order_then_sets(console: Console) -> None:
    op = console.operator
    at = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # a Friday: working time crosses the weekend
    values: dict[str, Any] = dict(
        type="fault",
        channel="hotline",
        region_code="330106",
        priority=3,
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        category_code="NET",
    )
    preview = preview_deadlines(console.session, at=at, **values)
    order = create_order(console.session, description="x", at=at, **values)
    clocks = console.session.scalars(select(SlaClock).where(SlaClock.order_id == order.id)).all()
    assert {(c.kind, c.due_at) for c in clocks} == {(d.kind, d.due_at) for d in preview.deadlines}
    assert preview.team_id == order.team_id == op.field_team.id
    assert preview.policy_id == order.sla_policy_id
    console.session.rollback()


def test_save_creates_the_order_owned_by_the_agent_with_history(console: Console) -> None:
    op = console.operator
    agent = console.user("agent", REGION)
    response = agent.post("/workbench/new", data=_form(console))
    assert response.status_code == 303
    number = response.headers["location"].removeprefix("/orders/")
    again = agent.post("/workbench/new", data=_form(console))  # a double-clicked Save
    assert again.headers["location"] == response.headers["location"]
    order = console.session.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
    assert (order.owner_id, order.created_by_id) == (agent.user.id, agent.user.id)
    assert (order.customer_id, order.subscription_id, order.product) == (
        op.customer.id,
        op.broadband.id,
        "broadband",
    )
    assert (
        order.category_id == console.session.scalars(select(Category.id).where(Category.code == "NET")).one()
    )
    assert (order.type, order.priority, order.severity, order.channel) == ("complaint", 2, "major", "hotline")
    assert order.region_code == "330106" and order.title == "宽带断网"
    events = console.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).all()
    assert [(e.action, e.actor_id) for e in events] == [("created", agent.user.id)]
    assert (
        console.session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.order_id == order.id)
        )
        == 3
    )
    console.session.rollback()
    assert _order_count(console) == 1


def test_bad_input_is_shown_next_to_each_field_and_nothing_is_saved(console: Console) -> None:
    other = _other_customer(console, name="李四", region="330106", phone="13900003333")
    foreign = Subscription(customer_id=other.id, product="mobile", service_number="13900003333")
    console.session.add(foreign)
    console.session.commit()
    agent = console.user("agent", REGION)
    response = agent.post(
        "/workbench/new",
        data=_form(
            console, type="", priority="9", description="  ", subscription=str(foreign.id), category="NOPE"
        ),
    )
    assert response.status_code == 422
    for field in ("type", "priority", "description", "subscription", "category"):
        assert f'id="{field}-error"' in response.text, field
        assert re.search(
            rf'id="{field}" [^>]*aria-invalid="true" aria-describedby="{field}-error"', response.text
        ), field
    text = text_of(response.text)
    assert "请描述客户的诉求" in text and "请选择该客户名下的产品" in text
    assert 'value="宽带断网"' in response.text  # what the agent typed is kept
    assert _order_count(console) == 0


# --- queues -------------------------------------------------------------------------------------


def _owned_order(console: Console, type: str, description: str) -> WorkOrder:
    op = console.operator
    return create_order(
        console.session,
        type=type,
        description=description,
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        actor_id=console.user("agent", REGION).user.id,
    )


def _due_in(console: Console, order: WorkOrder, hours: float) -> None:
    """Set the order's running clocks so the first falls due in `hours` (the others later)."""
    base = datetime.now(UTC) + timedelta(hours=hours)
    clocks = console.session.scalars(
        select(SlaClock).where(SlaClock.order_id == order.id).order_by(SlaClock.id)
    )
    for i, clock in enumerate(clocks):
        clock.due_at = base + timedelta(days=i)
        clock.warn_at = clock.due_at - timedelta(minutes=30)


def test_queues_are_sorted_by_time_left_with_untimed_orders_last(console: Console) -> None:
    agent = console.user("agent", REGION)
    later = _owned_order(console, "complaint", "later")
    soon = _owned_order(console, "inquiry", "soon")
    overdue = _owned_order(console, "complaint", "overdue")
    paused = _owned_order(console, "complaint", "paused")
    _due_in(console, later, 5)
    _due_in(console, soon, 0.25)  # inside the warning share
    _due_in(console, overdue, -1)
    transition_order(console.session, order_id=paused.id, action="pause", reason="等客户回电")
    someone_elses = create_order(
        console.session, type="complaint", description="not mine", channel="hotline", region_code="330106"
    )
    _due_in(console, someone_elses, -3)
    console.session.commit()
    page = agent.get("/workbench")
    assert page.status_code == 200
    mine = page.text.split('id="mine-title"')[1].split('id="team-title"')[0]
    numbers = re.findall(r'href="/orders/(GD\d+)"', mine)
    assert numbers == [overdue.number, soon.number, later.number, paused.number]
    rows = mine.split("<tr>")[2:]
    assert 'class="clock breached"' in rows[0]
    assert 'class="clock warning"' in rows[1]
    assert 'class="clock ok"' in rows[2]
    assert 'class="clock paused"' in rows[3]
    team = page.text.split('id="team-title"')[1]
    assert re.findall(r'href="/orders/(GD\d+)"', team)[:2] == [someone_elses.number, overdue.number]


def test_queue_pages_continue_from_timed_into_untimed_orders(console: Console) -> None:
    from manyi.console.workbench.queries import my_orders
    from manyi.orders.queries import Viewer

    agent = console.user("agent", REGION)
    orders = [_owned_order(console, "complaint", f"o{i}") for i in range(4)]
    for i, order in enumerate(orders[:3]):
        _due_in(console, order, 3 - i)  # o2 first, then o1, o0
    transition_order(console.session, order_id=orders[3].id, action="pause", reason="等客户")
    console.session.commit()
    expected = [orders[2].id, orders[1].id, orders[0].id, orders[3].id]
    seen = []
    for offset in (0, 2):
        page = my_orders(
            console.session,
            owner_id=agent.user.id,
            viewer=Viewer(regions=frozenset(REGION)),
            offset=offset,
            limit=2,
        )
        seen += [row.order.id for row in page.rows]
        assert page.has_next == (offset == 0)
    assert seen == expected
    third = my_orders(
        console.session, owner_id=agent.user.id, viewer=Viewer(regions=frozenset(REGION)), offset=3, limit=2
    )
    assert [row.order.id for row in third.rows] == [orders[3].id] and not third.has_next
    assert not my_orders(
        console.session, owner_id=agent.user.id, viewer=Viewer(regions=frozenset({"330200"}))
    ).rows
    console.session.rollback()
    second = agent.get("/workbench?mine=2")
    assert second.status_code == 200 and "没有更多工单" in text_of(second.text)


def test_empty_workbench_says_what_to_do_next(console: Console) -> None:
    text = text_of(console.user("agent", REGION).get("/workbench").text)
    assert "查找来电客户" in text
    assert "您没有未结的首问工单" in text


def test_the_workbench_speaks_english_when_asked(console: Console) -> None:
    agent = console.user("agent", REGION, lang="en")
    home = text_of(agent.get("/workbench").text)
    assert "Find the caller" in home and "My team's queue" in home
    form = text_of(agent.get(f"/workbench/new?customer={console.operator.customer.id}").text)
    assert "Preview deadlines" in form and "Order type" in form


def test_customer_panel_shows_an_organization_and_its_contacts(console: Console) -> None:
    session = console.session
    company = create_customer(
        session,
        name="某某科技有限公司",
        brand="gotone",
        region_code="330106",
        kind="organization",
        contacts=[
            ContactIn(name="王经理", title="信息中心主任", phone="13712345678", email="wang@example.com"),
            ContactIn(name="李工", phone="0571-87654321"),
        ],
    )
    session.commit()
    text = text_of(console.user("agent", REGION).get(f"/workbench/customer/{company.id}").text)
    for fact in ("政企客户", "联系人", "王经理", "信息中心主任", "13712345678", "wang@example.com", "李工"):
        assert fact in text, fact
    masked = text_of(console.user("partner", REGION).get(f"/workbench/customer/{company.id}").text)
    assert "137****5678" in masked and "13712345678" not in masked
    person = text_of(
        console.user("agent", REGION).get(f"/workbench/customer/{console.operator.customer.id}").text
    )
    assert "个人客户" in person and "联系人" not in person


def test_an_erased_customer_is_not_found_by_lookup_and_its_panel_says_so(console: Console) -> None:
    op = console.operator
    customer_id = op.customer.id
    erase_customer(console.session, customer_id=customer_id, reason="客户要求删除个人信息")
    console.session.commit()
    agent = console.user("agent", REGION)
    for query in ("13812345678", "C0001", "已删除"):
        assert agent.get("/workbench", params={"q": query}).status_code == 200, query  # no redirect: no hit
    panel = text_of(agent.get(f"/workbench/customer/{customer_id}").text)
    assert "该客户的个人信息已于" in panel and "张三" not in panel and "13812345678" not in panel
