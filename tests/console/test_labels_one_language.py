"""Issue 12, bug 7: each page speaks one language -- holiday names and their column, policy names,
distinct column titles, clock names on English pages, Chinese punctuation, no status shown twice,
取消 for cancel."""

from __future__ import annotations

import re

from manyi.console.i18n import translations
from tests.fixtures.console import WEST_LAKE, Console, new_order, text_of


def test_calendar_holidays_are_named_in_the_page_language(console: Console) -> None:
    zh = text_of(console.user("admin").get("/admin/calendars/office?year=2026").text)
    assert "国庆节" in zh and "National Day" not in zh and "节假日" in zh
    assert "<th>姓名</th>" not in console.user("admin").get("/admin/calendars/office?year=2026").text
    en = text_of(console.user("admin", lang="en").get("/admin/calendars/office?year=2026").text)
    assert "National Day" in en and "国庆节" not in en


def test_policy_names_in_one_language(console: Console) -> None:
    zh = text_of(console.user("admin").get("/admin/sla").text)
    assert "故障 fault" not in zh and "投诉" in zh
    en = text_of(console.user("admin", lang="en").get("/admin/sla").text)
    assert "fault" in en and "故障" not in en


def test_clock_and_deadline_columns_are_told_apart() -> None:
    zh = translations("zh_CN")
    assert zh.gettext("Clock") != zh.gettext("Deadline")


def test_english_pages_name_codes_in_english_from_page_code_too(console: Console) -> None:
    """Names looked up in page code (not templates) follow the page's language as well."""
    page = text_of(console.user("admin", lang="en").get("/admin/sla/new").text)
    assert "Fault" in page and "Working hours" not in page.replace("working hours", "")
    assert not re.search("故障|投诉|首次联系|预约|答复|解决|工作小时", page)


def test_no_status_twice_and_cancel_is_quxiao(console: Console) -> None:
    order = new_order(console)
    agent = console.user("agent", WEST_LAKE)
    page = agent.get(f"/orders/{order.number}").text
    assert "已受理 已受理" not in text_of(page) and "已受理 · 已受理" not in text_of(page)
    assert ">取消<" in page.replace(" ", "") or "取消" in text_of(page)
    assert "撤销" not in text_of(page)
    listed = text_of(agent.get("/orders").text)
    assert "已受理 · 已受理" not in listed


def test_empty_jobs_day_ends_with_a_chinese_full_stop(console: Console) -> None:
    text = text_of(console.user("technician", username="tech9").get("/jobs").text)
    assert "今日无工单。" in text and "今日无工单." not in text
