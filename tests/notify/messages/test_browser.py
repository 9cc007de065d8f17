"""In Chromium: an escalation arrives in the team lead's inbox (bell, list, link to the order) and the
customer's SMS, sent through the local SMSC, is recorded as delivered in the message search."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.notify.models import NotifyMessage
from manyi.notify.tasks import NotifyWork
from manyi.sla.tasks import sweep_due_clocks
from tests.fixtures.console import Browser, Console, new_order
from tests.notify.smpp.smsc import SmscProcess

CST = timezone(timedelta(hours=8))
WEST_LAKE = ("330106",)


def test_escalation_in_the_supervisors_inbox_and_the_customers_sms_delivered(
    console: Console, browser: Browser, gateway_env: SmscProcess
) -> None:
    lead = console.user("supervisor", WEST_LAKE, username="lead1")
    console.operator.field_team.lead_user_id = lead.user.id
    console.session.commit()
    # Taken ten days ago: its first-contact limit is long past, so the sweep fires the breach,
    # which the ladder sends to the team lead.
    order = new_order(console, at=datetime(2026, 11, 23, 10, 0, tzinfo=CST))
    with Session(console.session.get_bind()) as s:
        assert sweep_due_clocks(s, at=now()) > 0
        s.commit()
    work = NotifyWork.from_settings()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            work.run(limit=100)
            with Session(console.session.get_bind()) as s:
                status = s.scalars(
                    select(NotifyMessage.status).where(NotifyMessage.order_id == order.id)
                ).first()
            if status == "delivered":
                break
            time.sleep(0.1)
        assert status == "delivered"
    finally:
        work.close()

    pg = browser.page_for(lead, lang="zh_CN")
    pg.goto("/orders")
    bell = pg.locator("header .bell")
    assert int(bell.locator(".badge").inner_text()) >= 1
    bell.click()
    pg.wait_for_url("**/inbox")
    row = pg.locator("table.inbox tr.unread", has_text=order.number).first
    assert "超时" in row.inner_text()
    browser.screenshot(pg, "inbox-escalation")
    row.get_by_role("link", name=order.number).click()
    pg.wait_for_url(f"**/orders/{order.id}")
    pg.goto("/messages?q=13812345678")
    result = pg.locator("table.messages tr", has_text=order.number).first
    assert "已送达" in result.inner_text()
    browser.screenshot(pg, "messages-delivered")
