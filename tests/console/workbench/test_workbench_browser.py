"""In Chromium: an agent finds the caller by phone and opens an order with the keyboard only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.orders.models import WorkOrder
from tests.fixtures.console import Console

REGION = ("330106",)


def _tab_to(pg: Any, text: str, limit: int = 40) -> None:
    """Press Tab until the focused element reads `text` (as a keyboard user would)."""
    for _ in range(limit):
        pg.keyboard.press("Tab")
        if (pg.evaluate("document.activeElement.textContent") or "").strip() == text:
            return
    raise AssertionError(f"{text!r} is not reachable with Tab")


def _focused_id(pg: Any) -> str:
    return str(pg.evaluate("document.activeElement.id"))


def test_agent_opens_an_order_for_a_caller_keyboard_only(console: Console, browser: Any) -> None:
    agent = console.user("agent", REGION)
    pg = browser.page_for(agent, lang="zh_CN")
    pg.goto("/workbench")
    assert _focused_id(pg) == "lookup-q"  # the lookup box has the focus when the page opens
    browser.screenshot(pg, "workbench-empty")
    pg.keyboard.type("13812345678")
    pg.keyboard.press("Enter")
    pg.wait_for_url(f"**/workbench/customer/{console.operator.customer.id}")
    assert pg.get_by_role("heading", name="张三").is_visible()
    browser.screenshot(pg, "workbench-customer")

    _tab_to(pg, "新建工单")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**/workbench/new?customer=*")
    assert _focused_id(pg) == "type"
    pg.keyboard.press("ArrowDown")  # the first type: complaint
    pg.keyboard.press("Tab")
    assert _focused_id(pg) == "subscription"  # the customer's only product is pre-selected
    # The region (the customer's district already) and its search box, then the rest.
    for field in ("region", "region-search", "channel", "priority", "severity", "category-search"):
        pg.keyboard.press("Tab")
        assert _focused_id(pg) == field
    pg.keyboard.type("网络")
    pg.keyboard.press("Enter")  # takes the first match, does not submit
    assert _focused_id(pg) == "category"
    pg.keyboard.press("Tab")
    assert _focused_id(pg) == "title"
    pg.keyboard.type("宽带断网")
    pg.keyboard.press("Tab")
    assert _focused_id(pg) == "description"
    pg.keyboard.type("客户反映宽带断网两天，光猫灯正常")
    pg.keyboard.press("Tab")
    pg.keyboard.press("Enter")  # 预览处理时限
    pg.wait_for_selector("#preview-title")
    assert pg.get_by_role("heading", name="现在保存时的处理时限").is_visible()
    assert pg.locator(".preview tbody tr").count() == 3
    assert pg.get_by_label("业务分类").input_value() == "NET"
    browser.screenshot(pg, "workbench-new-order")
    assert str(pg.evaluate("document.activeElement.value")) == "save"  # Save has the focus now

    pg.keyboard.press("Enter")
    pg.wait_for_url("**/orders/GD*")
    number = pg.url.rsplit("/", 1)[1]
    order = console.session.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
    assert (order.owner_id, order.type, order.title) == (agent.user.id, "complaint", "宽带断网")
    console.session.rollback()

    pg.goto("/workbench")
    assert pg.locator("#mine-title ~ table a", has_text=number).count() == 1
    browser.screenshot(pg, "workbench")
