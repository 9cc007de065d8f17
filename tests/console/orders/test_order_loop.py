"""The closed loop on the order page (seed 001, DOMAIN "Closed loop", "Contact rule"): contact attempts
with their outcome, callbacks by the callback seats, the contact rule before "unreachable", and who
may withdraw a complaint."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from manyi.core.clock import now
from manyi.orders.models import OrderCallback, OrderContact
from manyi.sla.models import SlaClock
from tests.console.orders.test_order_actions import act, last_event, state
from tests.fixtures.console import WEST_LAKE, Console, Staff, new_order, text_of


def post(staff: Staff, console: Console, number: str, oid: int, form: str, **data: Any) -> Any:
    return staff.post(f"/orders/{number}/{form}", {"version": str(state(console, oid)[2]), **data})


def first_contact(console: Console, oid: int) -> str:
    value = console.session.scalar(
        select(SlaClock.state).where(SlaClock.order_id == oid, SlaClock.kind == "first_contact")
    )
    console.session.commit()
    return str(value)


def resolved_complaint(console: Console) -> tuple[str, int]:
    """A complaint its agent reached and resolved (so the agent may not make its callback)."""
    order = new_order(console, type="complaint")
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    assert post(agent, console, number, oid, "contact", outcome="reached").status_code == 303
    assert act(agent, console, number, oid, "resolve", resolution_code="explained").status_code == 303
    return number, oid


def test_starting_work_is_not_a_contact_a_contact_is_recorded_with_its_outcome(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    page = agent.get(f"/orders/{number}").text
    assert 'id="contact-outcome"' in page and "号码错误" in page and "开始处理" in page
    assert act(agent, console, number, oid, "start").status_code == 303
    assert state(console, oid)[:2] == ("inProgress", "extracted") and first_contact(console, oid) == "running"
    wrong = post(agent, console, number, oid, "contact", outcome="wrong_number", reason="空号")
    assert wrong.status_code == 303
    assert state(console, oid)[1] == "extracted" and first_contact(console, oid) == "running"
    assert post(agent, console, number, oid, "contact", outcome="reached").status_code == 303
    assert state(console, oid)[1] == "contacted" and first_contact(console, oid) == "met"
    assert last_event(console, oid)[:2] == ("contact", agent.user.id)
    shown = text_of(agent.get(f"/orders/{number}").text)
    assert "联系与回访记录" in shown and "号码错误" in shown and "空号" in shown and "已联系上客户" in shown
    assert "联系结果" in shown  # the timeline names the outcome of each contact event
    missing = post(agent, console, number, oid, "contact", outcome="")
    assert missing.status_code == 422 and "请选择本次联系的结果" in missing.text


def test_every_complaint_gets_a_callback_before_it_closes_by_a_callback_seat_not_the_resolver(
    console: Console,
) -> None:
    number, oid = resolved_complaint(console)
    agent = console.user("agent", WEST_LAKE)
    page = agent.get(f"/orders/{number}").text
    assert f'action="/orders/{number}/callback"' not in page  # the agent resolved it
    assert f'action="/orders/{number}/act/close"' not in page  # a complaint closes by its callback
    plain = act(agent, console, number, oid, "close")
    assert plain.status_code == 422 and "投诉须经回访才能关闭" in plain.text
    by_resolver = post(agent, console, number, oid, "callback", result="satisfied")
    assert by_resolver.status_code == 403 and "处理该工单的人员不能回访" in by_resolver.text
    assert agent.post(f"/orders/{number}/act/callback_ok", {"version": "1"}).status_code == 404
    seat = console.user("callback_agent", WEST_LAKE)
    page = seat.get(f"/orders/{number}").text
    assert f'action="/orders/{number}/callback"' in page
    assert re.findall(
        r'<option value="([a-z_]+)"', page.split('id="callback-result"')[1].split("</select>")[0]
    ) == [
        "satisfied",
        "basically_satisfied",
        "unsatisfied",
        "unreachable",
    ]
    done = post(seat, console, number, oid, "callback", result="basically_satisfied", reason="基本认可")
    assert done.status_code == 303
    assert state(console, oid)[:2] == ("closed", "closed")
    rows = console.session.execute(
        select(OrderCallback.result, OrderCallback.actor_id, OrderCallback.note)
    ).all()
    console.session.commit()
    assert [tuple(r) for r in rows] == [("basically_satisfied", seat.user.id, "基本认可")]
    shown = text_of(seat.get(f"/orders/{number}").text)
    assert "回访记录" in shown and "基本满意" in shown and "回访结果" in shown


def test_unreachable_is_refused_until_three_failed_attempts_two_hours_apart(console: Console) -> None:
    number, oid = resolved_complaint(console)
    seat = console.user("callback_agent", WEST_LAKE)
    page = seat.get(f"/orders/{number}").text
    outcomes = page.split('id="contact-outcome"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([a-z_]+)"', outcomes) == ["not_reached", "wrong_number"]
    start = now()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert post(seat, console, number, oid, "contact", outcome="not_reached").status_code == 303
        early = post(seat, console, number, oid, "callback", result="unreachable")
        assert early.status_code == 422
        assert "已联系未果 1 次（需 3 次）；下一次最早在" in early.text
        assert 'id="callback-result-error"' in early.text
    for hours in (2, 4):
        with time_machine.travel(start + timedelta(hours=hours, minutes=6), tick=False):
            assert post(seat, console, number, oid, "contact", outcome="not_reached").status_code == 303
    with time_machine.travel(start + timedelta(hours=4, minutes=10), tick=False):
        assert post(seat, console, number, oid, "callback", result="unreachable").status_code == 303
    assert state(console, oid)[0] == "closed"
    html = seat.get(f"/orders/{number}").text
    assert html.count('<tr class="contact-not_reached">') == 3  # time, outcome and who, each
    shown = text_of(html)
    assert "无人接听" in shown and "联系不上" in shown and seat.user.display_name in shown
    attempts = console.session.scalars(select(OrderContact.outcome).where(OrderContact.order_id == oid)).all()
    console.session.commit()
    assert attempts == ["reached", "not_reached", "not_reached", "not_reached"]


def test_a_technician_cannot_record_a_callback(console: Console) -> None:
    number, oid = resolved_complaint(console)
    tech = console.user("technician", WEST_LAKE)
    page = tech.get(f"/orders/{number}").text
    assert f'action="/orders/{number}/callback"' not in page and 'id="contact-outcome"' not in page
    assert post(tech, console, number, oid, "callback", result="satisfied").status_code == 403
    attempt = post(tech, console, number, oid, "contact", outcome="not_reached")
    assert attempt.status_code == 403 and state(console, oid)[0] == "resolved"


def test_a_complaint_is_cancelled_only_by_a_handler_or_supervisor_with_a_reason(console: Console) -> None:
    order = new_order(console, type="complaint")
    number, oid = order.number, order.id
    agent, boss = console.user("agent", WEST_LAKE), console.user("supervisor", WEST_LAKE)
    assert f'action="/orders/{number}/act/cancel"' not in agent.get(f"/orders/{number}").text
    forged = act(agent, console, number, oid, "cancel", reason="重复")
    assert forged.status_code == 403 and "只有投诉处理人员或主管可以撤销或驳回投诉" in forged.text
    page = boss.get(f"/orders/{number}").text
    assert re.search(r'id="cancel-reason" name="reason" rows="2"[^>]* required', page)
    no_reason = act(boss, console, number, oid, "cancel", reason="")
    assert no_reason.status_code == 422 and 'id="cancel-reason-error"' in no_reason.text
    assert act(boss, console, number, oid, "cancel", reason="客户撤诉").status_code == 303
    assert state(console, oid)[0] == "cancelled"
    assert last_event(console, oid) == ("cancel", boss.user.id, "客户撤诉")
