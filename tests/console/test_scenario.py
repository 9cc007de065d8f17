"""The console end to end in Chromium, as one working Friday evening at the operator: an agent opens
an order for a caller, a dispatcher assigns it, an admin makes Saturday a 调休 working day (the open
order's deadline moves), the technician completes the job on a phone, and the supervisor's
timeliness figure moves. Each step is the real page, clicked; each effect is checked in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import time_machine
from sqlalchemy import select

from manyi.core.settings import get_settings
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.sla.models import SlaClock
from tests.fixtures.console import Console

CST = timezone(timedelta(hours=8))
FRIDAY_EVENING = datetime(2026, 11, 20, 17, 30, tzinfo=CST)
WEST_LAKE = ("330106",)


@dataclass(frozen=True)
class Seen:
    id: int
    status: str
    owner_id: int | None
    team_id: int | None
    assignee_id: int | None


def _order(console: Console, number: str) -> Seen:
    """The order as stored now (read, then the transaction ended: SQLite must stay free for the
    server, and ORM objects would reload lazily after a rollback)."""
    console.session.expire_all()
    o = console.session.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
    seen = Seen(o.id, o.status, o.owner_id, o.team_id, o.assignee_id)
    console.session.rollback()
    return seen


def _first_contact_due(console: Console, order_id: int) -> datetime:
    due = console.session.scalars(
        select(SlaClock.due_at).where(SlaClock.order_id == order_id, SlaClock.kind == "first_contact")
    ).one()
    console.session.rollback()
    return due.astimezone(CST)


def _timeliness_row(browser: Any, supervisor: Any, team: str) -> str:
    pg = browser.page_for(supervisor)
    pg.goto("/supervisor")
    row = pg.locator("#timeliness-table tr", has_text=team)
    text = row.first.inner_text() if row.count() else ""
    browser.screenshot(pg, "scenario-supervisor")
    pg.close()
    return text


def test_a_friday_evening_at_the_operator(console: Console, browser: Any) -> None:
    op = console.operator
    with time_machine.travel(FRIDAY_EVENING, tick=True) as traveller:
        agent = console.user("agent", WEST_LAKE)
        dispatcher = console.user("dispatcher", WEST_LAKE)
        tech = console.user("technician", username=op.techs[0].username)
        supervisor = console.user("supervisor")
        admin = console.user("admin")
        crew_id, crew, tech_id = op.field_team.id, op.field_team.name, op.techs[0].id
        agent_id, dispatcher_id, tech_user_id = agent.user.id, dispatcher.user.id, tech.user.id
        console.session.rollback()

        # 1. The agent finds the caller by phone and opens a fault order for the broadband line.
        pg = browser.page_for(agent)
        pg.goto("/workbench")
        pg.locator("#lookup-q").fill("13812345678")
        pg.locator("#lookup-q").press("Enter")
        pg.get_by_role("heading", name="张三").wait_for()
        pg.get_by_role("link", name="新建工单").first.click()
        pg.get_by_label("工单类型").select_option("fault")
        pg.get_by_label("问题描述").fill("宽带断网，光猫红灯")
        pg.get_by_role("button", name="预览处理时限").click()
        pg.get_by_role("button", name="保存工单").click()
        pg.wait_for_url("**/orders/GD*")
        number = pg.url.rsplit("/", 1)[1]
        order = _order(console, number)
        assert (order.owner_id, order.team_id, order.assignee_id) == (agent_id, crew_id, None)
        browser.screenshot(pg, "scenario-agent-order")
        before_timeliness = _timeliness_row(browser, supervisor, crew)

        # 2. The dispatcher assigns it from the board to the first technician of the crew.
        board = browser.page_for(dispatcher)
        board.goto(f"/board?team={crew_id}")
        board.get_by_label(f"选择工单 {number}").first.check()
        board.get_by_label("将所选工单派给").select_option(value=str(tech_id))
        board.get_by_role("button", name="批量派单").click()
        board.get_by_text("已派单 1 张工单").wait_for()
        assert _order(console, number).assignee_id == tech_id

        # 3. The admin makes Saturday a 调休 working day: the open order's deadline comes forward.
        due_before = _first_contact_due(console, order.id)
        assert due_before.date().isoformat() == "2026-11-23"  # Monday, over the weekend
        cal = browser.page_for(admin)
        cal.goto("/admin/calendars/office")
        cal.get_by_label("日期", exact=True).fill("2026-11-21")
        cal.get_by_label("类型", exact=True).select_option("1")
        cal.get_by_label("原因").fill("调休")
        cal.get_by_role("button", name="添加特殊日期").click()
        assert "已重算" in cal.get_by_role("status").inner_text()
        assert _first_contact_due(console, order.id).date().isoformat() == "2026-11-21"

        # 4. The technician calls the customer and books tonight (order page), then, on the phone,
        #    arrives and completes the job.
        work = browser.page_for(tech)
        work.goto(f"/orders/{number}")
        work.locator("details:has(#act-contact) > summary").click()
        work.get_by_label("联系结果").select_option("reached")  # only a reached customer is a contact
        with work.expect_navigation():
            work.locator("#act-contact").get_by_role("button").click()
        work.locator("details:has(#act-appoint) > summary").click()
        work.get_by_label("预约日期和时间").fill("2026-11-20T20:00")
        with work.expect_navigation():
            work.locator("#act-appoint").get_by_role("button").click()
        phone = browser.page_for(tech, mobile=True)
        phone.goto("/jobs")
        phone.get_by_text(number).wait_for()
        phone.get_by_role("button", name="已到达").click()
        phone.get_by_text(f"{number}：已记录到达现场。").wait_for()
        phone.get_by_role("link", name="完工").click()
        phone.get_by_label("处理结果").select_option(label="已更换设备")
        phone.get_by_label("备注").fill("更换光猫，测速正常")
        phone.get_by_role("button", name="提交完工").click()
        phone.get_by_text("今日无工单").wait_for()
        browser.screenshot(phone, "scenario-technician-done")
        done = _order(console, number)
        assert (done.status, done.assignee_id, done.owner_id) == ("resolved", tech_id, agent_id)
        actors = dict(
            console.session.execute(
                select(OrderEvent.action, OrderEvent.actor_id).where(OrderEvent.order_id == order.id)
            ).all()
        )
        console.session.rollback()
        assert actors["created"] == agent_id and actors["assigned"] == dispatcher_id
        assert actors["arrive"] == tech_user_id and actors["resolve"] == tech_user_id

        # 5. The supervisor sees the crew's timeliness today move once the page's figures refresh
        # (they are kept for supervisor_figures_seconds): every clock met on time.
        traveller.shift(timedelta(seconds=get_settings().supervisor_figures_seconds))
        after_timeliness = _timeliness_row(browser, supervisor, crew)
        assert after_timeliness != before_timeliness
        assert "100" in after_timeliness
