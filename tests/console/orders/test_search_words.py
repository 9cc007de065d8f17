"""Issue 12, bug 6: /orders finds an order by a phone in any spacing, a name prefix, a customer
number, a word of the title or description (Chinese too, one or more characters) and part of its
number; region scope and the PII rule hold."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from manyi.customers.models import Customer
from tests.console.orders.test_order_search import numbers_in
from tests.fixtures.console import WEST_LAKE, Browser, Console, new_order


def _zhuo(console: Console) -> Customer:
    zhuo = Customer(
        customer_no="C000000029", name="卓越", phone="13293076786", brand="mzone", region_code="330106"
    )
    console.session.add(zhuo)
    console.session.commit()
    return zhuo


def test_order_search_finds_by_every_key_a_caller_gives(console: Console) -> None:
    zhuo = _zhuo(console)
    theirs = new_order(console, customer_id=zhuo.id, subscription_id=None, title="光猫红灯闪烁").number
    other_order = new_order(console, subscription_id=None)
    other_order.description = "机顶盒黑屏，重启无效"
    console.session.commit()
    other = other_order.number
    agent = console.user("agent", WEST_LAKE)
    for query in ("132 9307 6786", "132-9307-6786", "+86 13293076786", "卓", "C000000029", "c000000029"):
        assert numbers_in(agent.get("/orders", params={"q": query}).text) == [theirs], query
    for query in ("红灯", "光猫红灯", "光猫 闪烁", "猫"):  # words of the title, 1 to 4 characters
        assert numbers_in(agent.get("/orders", params={"q": query}).text) == [theirs], query
    assert numbers_in(agent.get("/orders", params={"q": "机顶盒黑屏"}).text) == [other]  # the description
    assert numbers_in(agent.get("/orders", params={"q": "黑屏"}).text) == [other]
    assert numbers_in(agent.get("/orders", params={"q": theirs[-6:]}).text) == [theirs]  # part of the number
    assert numbers_in(agent.get("/orders", params={"q": "红灯 黑屏"}).text) == []  # every word must occur


def test_text_search_keeps_region_scope_and_percent_is_no_wildcard(console: Console) -> None:
    ningbo = new_order(console, region="330200", subscription_id=None, title="光猫掉线").number
    new_order(console, subscription_id=None, title="100% 丢包")
    assert numbers_in(console.user("agent", WEST_LAKE).get("/orders", params={"q": "光猫掉线"}).text) == []
    assert numbers_in(console.user("agent", ("330200",)).get("/orders", params={"q": "掉线"}).text) == [
        ningbo
    ]
    assert len(numbers_in(console.user("supervisor").get("/orders", params={"q": "0%"}).text)) == 1


def test_full_phone_in_any_spacing_still_needs_pii_permission(console: Console) -> None:
    _zhuo(console)
    refused = console.user("auditor", WEST_LAKE).get("/orders", params={"q": "132 9307 6786"})
    assert refused.status_code == 403


def test_text_index_follows_edits(console: Console) -> None:
    order = new_order(console, subscription_id=None, title="旧标题")
    order.title = "新标题光纤中断"
    console.session.commit()
    agent = console.user("agent", WEST_LAKE)
    assert numbers_in(agent.get("/orders", params={"q": "光纤中断"}).text) == [order.number]
    assert numbers_in(agent.get("/orders", params={"q": "旧标题"}).text) == []


def test_browser_finds_an_order_by_a_chinese_word_and_saves_the_search(
    console: Console, browser: Browser
) -> None:
    order = new_order(console, subscription_id=None, title="光猫红灯闪烁")
    new_order(console, subscription_id=None, title="账单疑问")
    agent = console.user("agent", WEST_LAKE)
    tab = browser.page_for(agent)
    tab.goto("/orders")
    tab.locator("#f-q").fill("红灯")
    tab.locator("form.filters button[type=submit]").click()
    tab.get_by_role("link", name=order.number).wait_for()
    assert tab.locator("table.orders tbody tr").count() == 1
    with tab.expect_download() as download:
        tab.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = BytesIO(download.value.path().read_bytes())  # Playwright's temp file has no extension
    rows = list(load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "工单号" and [r[0] for r in rows[1:]] == [order.number]
    tab.get_by_label("将此查询保存为").fill("光猫故障")
    tab.locator("section.saved-searches button", has_text="保存").click()
    tab.get_by_text("已保存查询“光猫故障”。").wait_for()
    browser.screenshot(tab, "orders-search-words")
    tab.goto("/orders")
    tab.get_by_role("link", name="光猫故障").click()
    tab.get_by_role("link", name=order.number).wait_for()
