"""/orders: search by number, phone, service number or name; filters kept in the URL; region scope;
server-side pages of 50, newest first; masked phones; empty states that say what to do."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from manyi.core.clock import now
from manyi.customers.models import Customer, Subscription
from manyi.orders import service
from manyi.orders.models import WorkOrder
from tests.fixtures.console import WEST_LAKE, Console, new_order, text_of

# The orders here name no subscription (subscription_id=None): a search by service number has to find
# them through their customer.


def numbers_in(html: str) -> list[str]:
    return [chunk.split('"', 1)[0] for chunk in html.split('<td><a href="/orders/')[1:]]


def test_search_by_number_phone_service_number_and_name(console: Console) -> None:
    mine = new_order(console, subscription_id=None).number
    other_customer = Customer(
        customer_no="C0002", name="李四", phone="13900001111", brand="mzone", region_code="330106"
    )
    console.session.add(other_customer)
    console.session.flush()
    console.session.add(
        Subscription(customer_id=other_customer.id, product="mobile", service_number="13900002222")
    )
    console.session.commit()
    theirs = new_order(console, customer_id=other_customer.id, subscription_id=None).number
    agent = console.user("agent", WEST_LAKE)
    assert numbers_in(agent.get(f"/orders?q={mine}").text) == [mine]
    assert numbers_in(agent.get(f"/orders?q={mine.lower()}").text) == [mine]
    assert numbers_in(agent.get("/orders?q=13812345678").text) == [mine]
    assert numbers_in(agent.get("/orders?q=KD0571001").text) == [mine]  # the broadband account
    assert numbers_in(agent.get("/orders?q=13900002222").text) == [theirs]  # a subscription's number
    assert numbers_in(agent.get("/orders?q=张三").text) == [mine]
    assert numbers_in(agent.get("/orders?q=李四").text) == [theirs]
    assert sorted(numbers_in(agent.get("/orders").text)) == sorted([mine, theirs])


def test_search_result_masks_phones_without_pii_permission(console: Console) -> None:
    new_order(console, subscription_id=None)
    assert "13812345678" in console.user("agent", WEST_LAKE).get("/orders?q=张三").text
    masked = console.user("auditor", WEST_LAKE).get("/orders?q=13812345678").text
    assert "138****5678" in masked and "13812345678" not in masked.replace('value="13812345678"', "")


def test_only_orders_in_the_users_regions_are_found(console: Console) -> None:
    west_lake = new_order(console, subscription_id=None).number
    ningbo = new_order(console, region="330200", subscription_id=None).number
    assert numbers_in(console.user("agent", ("330200",)).get("/orders?q=张三").text) == [ningbo]
    assert numbers_in(console.user("agent", WEST_LAKE).get(f"/orders?q={ningbo}").text) == []
    everywhere = console.user("supervisor")
    assert sorted(numbers_in(everywhere.get("/orders?q=张三").text)) == sorted([west_lake, ningbo])


def test_filters_are_kept_in_the_url_and_narrow_the_list(console: Console) -> None:
    fault = new_order(console, subscription_id=None).number
    complaint = new_order(console, type="complaint", subscription_id=None).number
    ningbo = new_order(console, region="330200", subscription_id=None).number
    console.session.execute(update(WorkOrder).where(WorkOrder.number == complaint).values(sla_breached=True))
    console.session.commit()
    boss = console.user("supervisor")
    assert numbers_in(boss.get("/orders?type=complaint").text) == [complaint]
    assert numbers_in(boss.get("/orders?breached=1").text) == [complaint]
    assert sorted(numbers_in(boss.get("/orders?breached=0").text)) == sorted([fault, ningbo])
    assert numbers_in(boss.get("/orders?region=330200").text) == [ningbo]
    assert sorted(numbers_in(boss.get("/orders?region=330100").text)) == sorted([fault, complaint])
    field_team = console.operator.field_team.id
    assert numbers_in(boss.get(f"/orders?team={field_team}").text) == [fault]
    assert numbers_in(boss.get("/orders?status=acknowledged&type=fault&region=330106").text) == [fault]
    page = boss.get("/orders?type=complaint&status=acknowledged").text
    assert '<option value="complaint" selected>' in page  # the form shows what the URL says
    assert '<option value="acknowledged" selected>' in page


def test_pages_of_fifty_newest_first_with_prev_and_next(console: Console) -> None:
    start = now() - timedelta(days=1)
    numbers = []
    for i in range(55):
        order = service.create_order(
            console.session,
            type="inquiry",
            description=f"咨询{i}",
            channel="hotline",
            region_code="330106",
            customer_id=console.operator.customer.id,
            at=start + timedelta(minutes=i),
        )
        numbers.append(order.number)
    console.session.commit()
    agent = console.user("agent", WEST_LAKE)
    first = agent.get("/orders?type=inquiry").text
    assert numbers_in(first) == list(reversed(numbers))[:50]
    assert 'href="/orders?type=inquiry&amp;offset=50"' in first and 'rel="prev"' not in first
    second = agent.get("/orders?type=inquiry&offset=50").text
    assert numbers_in(second) == list(reversed(numbers))[50:]
    assert 'href="/orders?type=inquiry"' in second and 'rel="next"' not in second


def test_empty_states_say_what_to_do_next(console: Console) -> None:
    new_order(console, subscription_id=None)
    agent = console.user("agent", WEST_LAKE)
    nothing = text_of(agent.get("/orders?q=王五").text)
    assert "没有与“王五”匹配的工单" in nothing and "请核对工单号" in nothing
    assert "到工作台新建工单" in nothing and "清除筛选条件" in nothing
    filtered = text_of(agent.get("/orders?status=closed").text)
    assert "没有符合筛选条件的工单" in filtered
    empty_region = text_of(console.user("agent", ("330200",)).get("/orders").text)
    assert "您所辖区域内还没有工单" in empty_region
    reader = text_of(console.user("auditor", ("330200",)).get("/orders").text)
    assert "到工作台新建工单" not in reader  # only roles that may open orders are sent there


def test_everyone_with_ticket_read_may_search(console: Console) -> None:
    for role in ("agent", "dispatcher", "technician", "inspector", "auditor", "supervisor", "admin"):
        assert console.user(role).get("/orders").status_code == 200, role
    assert console.anonymous().get("/orders", follow_redirects=False).status_code == 303
