"""Issue 12, bugs 1 and 3: domain errors carry a catalogue key and values; the console shows them in
the page's language (never the developer sentence on a Chinese page), and every catalogue entry has
its zh-CN text."""

from __future__ import annotations

from datetime import timedelta

from manyi.console.error_text import error_text
from manyi.console.i18n import catalog_ids, translations
from manyi.core.clock import now
from manyi.core.error_texts import TEXTS
from manyi.core.errors import ValidationFailed
from manyi.orders import service
from tests.fixtures.console import WEST_LAKE, Console, new_order, text_of


def test_every_catalogue_entry_has_a_chinese_text() -> None:
    known = catalog_ids("zh_CN")
    assert not [t for t in TEXTS.values() if t not in known]


def test_values_are_shown_the_way_people_read_them() -> None:
    error = ValidationFailed(
        "office weekday 5: interval 1500-1560 must satisfy ...",
        key="hours.weekday_range",
        params={"day_weekday": 5, "start_minutes": 1500, "end_minutes": 1560},
    )
    zh = error_text(error, translations("zh_CN").gettext)
    assert zh == "星期六：工作时间 25:00-26:00 必须在当天之内（00:00-24:00），且结束晚于开始。"
    en = error_text(error, translations("en").gettext)
    assert en is not None and en.startswith("Saturday: working hours 25:00-26:00")


def test_user_name_and_region_errors_are_chinese_on_the_chinese_page(console: Console) -> None:
    admin = console.user("admin")
    bad_name = admin.post(
        "/admin/users/new",
        data={"username": "王 😀<script>", "roles": ["agent"], "password": "longenough1"},
    )
    page = text_of(bad_name.text)
    assert bad_name.status_code == 422 and "用户名为 1 到 64 个字符，不能包含空格。" in page
    assert "expected 1-64" not in page and "<script>" not in bad_name.text.split("<main", 1)[-1].replace(
        "&lt;script&gt;", ""
    )
    region = admin.post(
        "/admin/users/new",
        data={"username": "wang", "roles": ["agent"], "regions": "杭州市", "password": "longenough1"},
    )
    text = text_of(region.text)
    assert (
        region.status_code == 422 and "区域编码不存在：“杭州市”" in text and "unknown region code" not in text
    )


def test_override_hours_outside_the_day_name_the_hours_not_a_weekday(console: Console) -> None:
    late = console.user("admin").post(
        "/admin/calendars/office/overrides",
        data={"day": "2026-11-21", "working": "1", "hours": "25:00-26:00"},  # a Saturday
    )
    text = text_of(late.text)
    assert late.status_code == 422 and "工作时间 25:00-26:00 必须在当天之内" in text
    assert "weekday 0" not in text and "1500" not in text


def test_english_page_gets_the_english_sentence(console: Console) -> None:
    admin = console.user("admin", lang="en")
    bad = admin.post(
        "/admin/users/new", data={"username": "a b", "roles": ["agent"], "password": "longenough1"}
    )
    assert "A user name has 1 to 64 characters and no spaces." in text_of(bad.text)


def test_past_appointment_is_refused_on_the_order_page_in_chinese(console: Console) -> None:
    order = new_order(console)
    service.transition_order(console.session, order_id=order.id, action="contact")
    console.session.commit()
    agent = console.user("agent", WEST_LAKE)
    two_days_ago = (now() - timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    answer = agent.post(
        f"/orders/{order.number}/act/appoint",
        {"version": str(order.version), "appointment_at": two_days_ago},
    )
    assert answer.status_code == 422
    assert "已过，请选择现在之后的时间" in text_of(answer.text)
    console.session.expire_all()
    assert service.get_order(console.session, order_id=order.id).stage == "contacted"
