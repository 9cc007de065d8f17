"""The order page: what it shows (header, clocks, timeline, attachments, links), to whom (region
scope, masking), and the attachment round trip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from manyi.core.clock import now
from manyi.core.settings import reset_settings
from manyi.orders import service
from manyi.orders.attachments import relate_orders
from manyi.orders.models import OrderAttachment, OrderEvent, WorkOrder
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.console import WEST_LAKE, Console, new_order, text_of


@pytest.fixture(autouse=True)
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MANYI_ATTACHMENTS_DIR", str(tmp_path / "files"))
    reset_settings()
    yield tmp_path / "files"
    reset_settings()


def version_of(console: Console, order: WorkOrder) -> int:
    """The order's version as the database has it now (the test session's copy may be old)."""
    version = console.session.scalar(select(WorkOrder.version).where(WorkOrder.id == order.id))
    console.session.commit()  # ends the read (SQLite's lock) without expiring the test's objects
    return int(version or 0)


def test_page_shows_header_customer_clocks_and_people(console: Console) -> None:
    order = new_order(console)
    staff = console.user("dispatcher", WEST_LAKE)
    page = staff.get(f"/orders/{order.number}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert order.number in text
    assert "故障" in text and "已受理" in text  # type and status in Chinese
    assert "张三" in text and "13812345678" in text  # dispatcher has pii:read
    assert "KD0571001" in text
    assert "坐席一" in text  # owner (首问责任人)
    assert "西湖装维班" in text  # team
    assert 'class="clock ok"' in page.text and 'data-state="running"' in page.text
    assert "data-due=" in page.text and "data-warn=" in page.text
    assert "工单创建" in text  # the created event in the timeline


def test_phones_are_masked_without_pii_permission(console: Console) -> None:
    order = new_order(console)
    page = console.user("inspector", WEST_LAKE).get(f"/orders/{order.number}")
    assert page.status_code == 200
    assert "138****5678" in page.text
    assert "13812345678" not in page.text
    # A broadband account is no phone number: shown in full, as the TMF629 API shows it (one rule,
    # manyi.core.masking.mask_service_number); mobile lines are masked.
    assert "KD0571001" in page.text


def test_out_of_region_order_looks_missing(console: Console) -> None:
    order = new_order(console)
    ningbo = console.user("agent", ("330200",))
    assert ningbo.get(f"/orders/{order.number}").status_code == 404
    assert ningbo.get("/orders/GD20990101000001").status_code == 404
    hangzhou = console.user("agent", ("330100",))  # a city covers its districts
    assert hangzhou.get(f"/orders/{order.number}").status_code == 200


def test_paused_and_met_clocks_are_shown_as_such(console: Console) -> None:
    order = new_order(console)
    agent = console.user("agent", WEST_LAKE)
    for form, data in (("contact", {"outcome": "reached"}), ("act/pause", {"reason": "客户出差"})):
        version = version_of(console, order)
        assert agent.post(f"/orders/{order.number}/{form}", {"version": version, **data}).status_code == 303
    page = agent.get(f"/orders/{order.number}").text
    assert 'class="clock met"' in page and 'data-state="met"' in page  # first contact was met
    assert 'class="clock paused"' in page and 'data-state="paused"' in page
    assert "已暂停" in text_of(page) or "暂停" in text_of(page)


def test_a_clock_met_after_its_breach_reads_met_late(console: Console) -> None:
    """First contact 2 working hours: swept as breached, then the customer is reached after all."""
    order = new_order(console, at=now() - timedelta(days=7))
    sweep_due_clocks(console.session, at=now())
    service.transition_order(console.session, order_id=order.id, action="contact")
    console.session.commit()
    page = console.user("agent", WEST_LAKE).get(f"/orders/{order.number}")
    assert page.status_code == 200
    assert 'class="clock breached"' in page.text and 'data-state="met"' in page.text
    assert "已超时" in text_of(page.text)


def test_timeline_has_events_with_actor_before_after_and_notifications(console: Console) -> None:
    order = new_order(console)
    agent = console.user("agent", WEST_LAKE)
    agent.post(f"/orders/{order.number}/note", {"text": "客户说晚上在家"})
    # The SLA sweep far in the future: a warning, breach and notification for this order.
    sweep_due_clocks(console.session, at=now() + timedelta(days=30))
    sweep_due_clocks(console.session, at=now() + timedelta(days=31))
    console.session.commit()
    page = agent.get(f"/orders/{order.number}")
    text = text_of(page.text)
    assert "客户说晚上在家" in text and "备注" in text
    assert "超时升级" in text  # the sla_escalation event
    assert "已发送超时通知" in text and "已发送升级通知" in text  # the outbox notifications
    # newest first: the note (added before the sweep) comes after the SLA entries
    assert text.index("客户说晚上在家") > text.index("已发送超时通知")


def test_page_with_two_hundred_events_renders(console: Console) -> None:
    order = new_order(console)
    for i in range(200):
        service.add_note(
            console.session, order_id=order.id, text=f"第{i}条", actor_id=console.operator.agent.id
        )
    console.session.commit()
    page = console.user("agent", WEST_LAKE).get(f"/orders/{order.number}")
    assert page.status_code == 200
    assert "第199条" in page.text and "第0条" in page.text


def test_attachment_upload_and_download_round_trip(console: Console) -> None:
    order = new_order(console)
    agent = console.user("agent", WEST_LAKE)
    content = "光猫照片".encode() * 100
    answer = agent.post(
        f"/orders/{order.number}/attachments", files={"file": ("光猫.jpg", content, "image/jpeg")}
    )
    assert answer.status_code == 303
    attachment_id = console.session.scalars(select(OrderAttachment.id)).one()
    actor_id = console.session.scalars(
        select(OrderEvent.actor_id).where(OrderEvent.action == "attachment")
    ).one()
    console.session.commit()
    assert actor_id == agent.user.id
    page = agent.get(f"/orders/{order.number}").text
    url = f"/orders/{order.number}/attachments/{attachment_id}"
    assert url in page and "光猫.jpg" in page
    download = agent.get(url)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "image/jpeg"
    assert "attachment" in download.headers["content-disposition"]
    # read-only roles may download, other regions may not
    assert console.user("auditor", WEST_LAKE).get(url).status_code == 200
    assert console.user("agent", ("330200",)).get(url).status_code == 404
    # an attachment id of another order is not found through this order
    other = new_order(console)
    assert agent.get(f"/orders/{other.number}/attachments/{attachment_id}").status_code == 404


def test_empty_upload_is_refused_next_to_the_field(console: Console) -> None:
    order = new_order(console)
    agent = console.user("agent", WEST_LAKE)
    answer = agent.post(f"/orders/{order.number}/attachments", files={"file": ("空.txt", b"", "text/plain")})
    assert answer.status_code == 422
    assert 'id="upload-file-error"' in answer.text and "文件是空的" in answer.text
    assert console.session.scalars(select(OrderAttachment)).first() is None
    console.session.commit()


def test_parent_child_and_related_orders_are_linked(console: Console) -> None:
    parent = new_order(console)
    child = new_order(console, parent_id=parent.id)
    other = new_order(console, type="complaint")
    far = new_order(console, region="330200")
    relate_orders(console.session, order_id=parent.id, related_order_id=other.id)
    relate_orders(console.session, order_id=parent.id, related_order_id=far.id)
    console.session.commit()
    agent = console.user("agent", WEST_LAKE)
    whole = agent.get(f"/orders/{parent.number}").text
    page = whole[whole.index('id="h-links"') : whole.index('id="h-timeline"')]
    assert f'href="/orders/{child.number}"' in page
    assert f'href="/orders/{other.number}"' in page
    assert far.number not in page  # outside the agent's regions: not even its number
    assert f'href="/orders/{parent.number}"' in agent.get(f"/orders/{child.number}").text


def test_browser_walks_an_order_from_extract_to_callback(console: Console, browser: Any) -> None:
    order = new_order(console)
    number = order.number
    agent = console.user("agent", WEST_LAKE)
    pg = browser.page_for(agent, lang="zh_CN")
    pg.goto(f"/orders/{number}")
    browser.screenshot(pg, "order-page-new")

    def click(action: str) -> None:
        with pg.expect_navigation():  # post, redirect, the page again
            pg.locator(f"#act-{action}").get_by_role("button").click()
        refused = pg.locator(".banner").all_inner_texts() + pg.locator(".field-error").all_inner_texts()
        assert pg.url.endswith(f"/orders/{number}"), (action, refused)

    click("extract")
    assert "已完成：提取" in pg.locator(".flash").inner_text()
    pg.locator("details:has(#act-contact) > summary").click()  # contact attempts have an outcome
    pg.get_by_label("联系结果").select_option("reached")
    click("contact")
    pg.locator("details:has(#act-appoint) > summary").click()  # opens the appointment form
    pg.get_by_label("预约日期和时间").fill("2030-01-02T09:30")
    click("appoint")
    assert "2030-01-02 09:30" in pg.locator("#h-people + dl").inner_text()
    click("arrive")
    browser.screenshot(pg, "order-page-on-site")
    pg.locator("details:has(#act-resolve) > summary").click()
    pg.get_by_label("处理结果代码").fill("FIXED")
    pg.get_by_label("处理情况").fill("更换光猫后恢复")
    click("resolve")
    assert "已解决" in pg.locator(".order-status").inner_text()
    assert pg.locator("#act-callback").count() == 0  # the agent resolved it: a callback seat calls back
    seat = browser.page_for(console.user("callback_agent", WEST_LAKE), lang="zh_CN")
    seat.goto(f"/orders/{number}")
    seat.locator("details:has(#act-callback) > summary").click()
    seat.get_by_label("回访结果").select_option("satisfied")
    with seat.expect_navigation():
        seat.locator("#act-callback").get_by_role("button").click()
    assert "已关闭" in seat.locator(".order-status").inner_text()
    pg.reload()
    assert pg.locator("#act-reopen").count() == 1  # closed orders can only be reopened
    timeline = pg.locator(".timeline").inner_text()
    for step in ("提取", "已联系客户", "预约上门", "到达现场", "解决", "回访完成，工单关闭", "满意"):
        assert step in timeline
    browser.screenshot(pg, "order-page-closed")
    pg.get_by_label("搜索工单").fill("13812345678")
    with pg.expect_navigation():
        pg.get_by_label("搜索工单").press("Enter")
    assert pg.get_by_role("link", name=number).count() == 1
    browser.screenshot(pg, "orders-search")
    console.session.expire_all()
    final = console.session.get(WorkOrder, order.id)
    assert final is not None and (final.status, final.stage) == ("closed", "closed")
    console.session.commit()
