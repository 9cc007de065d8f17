"""Regions are picked by name in the console: the suggestions endpoint, the pickers in the user, team
and new-order forms (full names shown for the codes they hold), and the order's region within the
agent's regions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.orders.models import WorkOrder
from tests.console.workbench.test_workbench import _form
from tests.fixtures.console import Console, text_of


def test_suggestions_by_name_or_code_within_the_users_regions(console: Console) -> None:
    everywhere = console.user("agent")
    found = everywhere.get("/regions/options?q=西湖").json()
    assert found == [
        {
            "code": "330106",
            "name": "西湖区",
            "path": "浙江省 杭州市 西湖区",
            "label": "西湖区 · 浙江省 杭州市 · 330106",
        }
    ]
    assert [r["code"] for r in everywhere.get("/regions/options?q=33").json()] == [
        "330000",
        "330100",
        "330106",
        "330200",
    ]
    ningbo = console.user("agent", ("330200",))
    assert ningbo.get("/regions/options?q=西湖").json() == []
    assert [r["code"] for r in ningbo.get("/regions/options").json()] == ["330200"]
    assert console.anonymous().get("/regions/options?q=西湖", follow_redirects=False).status_code == 303


def test_admin_forms_have_pickers_and_show_the_names_of_the_codes(console: Console) -> None:
    admin = console.user("admin")
    page = admin.get("/admin/users/new")
    assert 'data-region-picker="many"' in page.text and "/static/regions.js" in page.text
    refused = admin.post(
        "/admin/users/new",
        data={"username": "li", "roles": "agent", "regions": "330106, 330999", "password": "x"},
    )
    assert refused.status_code == 422
    assert "浙江省 杭州市 西湖区; 330999 ?" in text_of(refused.text)
    team = console.operator.field_team.id
    page = admin.get(f"/admin/teams/{team}")
    assert 'data-region-picker="one"' in page.text and "浙江省 杭州市 西湖区" in text_of(page.text)
    user = console.operator.techs[0].id
    assert 'data-region-picker="many"' in admin.get(f"/admin/users/{user}").text


def test_the_new_order_takes_its_region_from_the_picker_within_the_agents_regions(console: Console) -> None:
    agent = console.user("agent", ("330100",))
    # Forms built before any read below: on SQLite a read holds the write lock until rolled back.
    outside, city, default = (
        _form(console, region="330200", idempotency_key="r1"),
        _form(console, region="330100", idempotency_key="r2"),
        _form(console, idempotency_key="r3"),
    )
    customer = console.operator.customer.id
    console.session.rollback()
    page = agent.get(f"/workbench/new?customer={customer}")
    assert 'name="region" value="330106"' in page.text  # the customer's district by default
    assert "浙江省 杭州市 西湖区" in text_of(page.text)
    refused = agent.post("/workbench/new", data=outside)
    assert refused.status_code == 422 and 'id="region-error"' in refused.text
    assert "请从列表中选择您管辖范围内的区域" in text_of(refused.text)
    assert console.session.scalar(select(WorkOrder.id)) is None
    console.session.rollback()
    saved = agent.post("/workbench/new", data=city)
    assert saved.status_code == 303
    order = console.session.scalars(select(WorkOrder)).one()
    assert order.region_code == "330100"
    console.session.rollback()
    # A form without the field (posted by an older page) means the customer's district.
    assert (
        agent.post("/workbench/new", data={k: v for k, v in default.items() if k != "region"}).status_code
        == 303
    )
    assert set(console.session.scalars(select(WorkOrder.region_code))) == {"330100", "330106"}
    console.session.rollback()


def test_in_chromium_a_region_is_found_by_name_and_its_code_put_in_the_field(
    console: Console, browser: Any
) -> None:
    admin = console.user("admin")
    pg = browser.page_for(admin, lang="zh_CN")
    pg.goto("/admin/users/new")
    search = pg.locator("#regions-search")
    assert search.get_attribute("placeholder") == "按名称或代码搜索区域"
    search.fill("宁波")
    pg.wait_for_selector("datalist#region-options-0 option", state="attached")
    assert (
        pg.locator("datalist#region-options-0 option").first.get_attribute("value")
        == "宁波市 · 浙江省 · 330200"
    )
    search.press("Enter")  # takes the first suggestion, does not submit the form
    assert pg.locator("#regions").input_value() == "330200"
    search.fill("西湖")
    # (a selector, not wait_for_function: the console's CSP forbids the eval that one needs)
    pg.wait_for_selector("datalist#region-options-0 option[value^='西湖区']", state="attached")
    search.press("Enter")
    assert pg.locator("#regions").input_value() == "330200, 330106"
    assert pg.locator("#regions-names").inner_text() == "浙江省 宁波市; 浙江省 杭州市 西湖区"
    assert search.input_value() == "" and pg.url.endswith("/admin/users/new")
    browser.screenshot(pg, "admin-user-region-picker")
