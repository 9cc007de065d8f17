"""The order page's action forms: only the legal ones appear, each does what it says (status, stage,
history with the actor), refusals show next to the field and change nothing, rights and regions
are enforced, stale and forged posts are refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from manyi.orders import lifecycle
from manyi.orders.models import OrderEvent, WorkOrder
from tests.fixtures.console import WEST_LAKE, Console, Staff, new_order, text_of


def state(console: Console, order_id: int) -> tuple[str, str, int, int | None, int | None]:
    """(status, stage, version, team, assignee) as committed; ends the read so SQLite is not locked."""
    row = console.session.execute(
        select(
            WorkOrder.status, WorkOrder.stage, WorkOrder.version, WorkOrder.team_id, WorkOrder.assignee_id
        ).where(WorkOrder.id == order_id)
    ).one()
    console.session.commit()
    return row.status, row.stage, row.version, row.team_id, row.assignee_id


def last_event(console: Console, order_id: int) -> tuple[str, int | None, str | None]:
    row = console.session.execute(
        select(OrderEvent.action, OrderEvent.actor_id, OrderEvent.note)
        .where(OrderEvent.order_id == order_id, OrderEvent.action.not_like("sla%"))
        .order_by(OrderEvent.id.desc())
        .limit(1)
    ).one()
    console.session.commit()
    return row.action, row.actor_id, row.note


def event_count(console: Console, order_id: int) -> int:
    n = console.session.scalar(select(func.count()).where(OrderEvent.order_id == order_id)) or 0
    console.session.commit()
    return int(n)


def forms_on(page: str, number: str) -> set[str]:
    prefix = f'action="/orders/{number}/act/'
    return {chunk.split('"', 1)[0] for chunk in page.split(prefix)[1:]}


def act(staff: Staff, console: Console, number: str, order_id: int, action: str, **data: Any) -> Any:
    version = state(console, order_id)[2]
    return staff.post(f"/orders/{number}/act/{action}", {"version": str(version), **data})


# Contact attempts and callbacks have forms of their own (an outcome each); the rest are /act/ forms.
LOOP_FORMS = {"contact": "contact", "contact_failed": "contact", "callback_ok": "callback"}
LOOP_FORMS["callback_unsatisfied"] = "callback"
OUTCOMES = {"contact": "reached", "contact_failed": "not_reached", "callback_ok": "satisfied"}
OUTCOMES["callback_unsatisfied"] = "unsatisfied"


def offered(order_type: str, legal: set[str]) -> set[str]:
    """The /act/ buttons an agent sees for these legal actions: not the closed loop's, nor a
    complaint's plain close, nor withdrawing a complaint (handlers and supervisors do that)."""
    hidden = {"close", "cancel", "reject"} if order_type == "complaint" else set()
    return {a for a in legal if a not in LOOP_FORMS and a not in hidden}


def perform(console: Console, number: str, order_id: int, action: str, **data: Any) -> tuple[Staff, Any]:
    """Do an action as staff would: through its own form, callbacks by a callback seat."""
    if action not in LOOP_FORMS:
        agent = console.user("agent", WEST_LAKE)
        return agent, act(agent, console, number, order_id, action, **data)
    form = LOOP_FORMS[action]
    staff = (
        console.user("callback_agent", WEST_LAKE) if form == "callback" else console.user("agent", WEST_LAKE)
    )
    field = "result" if form == "callback" else "outcome"
    version = state(console, order_id)[2]
    answer = staff.post(
        f"/orders/{number}/{form}", {"version": str(version), field: OUTCOMES[action], **data}
    )
    return staff, answer


FLOWS: dict[str, list[tuple[str, dict[str, str], str, str]]] = {
    "fault": [
        ("extract", {}, "acknowledged", "extracted"),
        ("contact_failed", {"reason": "无人接听"}, "acknowledged", "extracted"),
        ("contact", {}, "inProgress", "contacted"),
        ("appoint", {"appointment_at": "2030-01-02T09:30"}, "inProgress", "appointed"),
        ("arrive", {}, "inProgress", "on_site"),
        ("resolve", {"resolution_code": "FIXED", "resolution": "更换光猫"}, "resolved", "awaiting_callback"),
        ("callback_unsatisfied", {"reason": "仍然掉线"}, "inProgress", "contacted"),
        ("resolve", {"resolution_code": "FIXED"}, "resolved", "awaiting_callback"),
        ("close", {}, "closed", "closed"),
        ("reopen", {"reason": "又坏了"}, "inProgress", "contacted"),
        ("cancel", {"reason": "客户撤单"}, "cancelled", "cancelled"),
    ],
    "complaint": [
        ("contact", {}, "inProgress", "contacted"),
        ("respond", {"reason": "已向客户致歉并说明"}, "inProgress", "responded"),
        ("pause", {"reason": "客户出差"}, "pending", "pending"),
        ("resume", {}, "inProgress", "responded"),
        ("hold", {"reason": "等待厂家"}, "held", "held"),
        ("resume", {}, "inProgress", "responded"),
        ("resolve", {"resolution_code": "EXPLAINED"}, "resolved", "awaiting_callback"),
        ("callback_ok", {}, "closed", "closed"),
    ],
    "inquiry": [("reject", {"reason": "重复来电"}, "rejected", "rejected")],
}


@pytest.mark.parametrize("order_type", sorted(FLOWS))
def test_each_action_form_appears_only_when_legal_and_does_what_it_says(
    console: Console, order_type: str
) -> None:
    order = new_order(console, type=order_type)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    for action, data, status, stage in FLOWS[order_type]:
        before = state(console, oid)
        page = agent.get(f"/orders/{number}").text
        legal = set(lifecycle.next_actions(order_type, before[0], before[1]))
        assert forms_on(page, number) == offered(order_type, legal), f"before {action}"
        assert action in legal
        staff, answer = perform(console, number, oid, action, **data)
        assert answer.status_code == 303, (action, text_of(answer.text)[-400:])
        assert answer.headers["location"] == f"/orders/{number}"
        after = state(console, oid)
        assert (after[0], after[1]) == (status, stage), action
        assert after[2] > before[2]  # the version moved on
        event_action, actor, note = last_event(console, oid)
        assert (event_action, actor) == (action, staff.user.id)
        if data.get("reason"):
            assert note == data["reason"]


def test_transfer_asks_for_a_team_and_moves_the_order(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    page = agent.get(f"/orders/{number}").text
    assert 'id="transfer-team"' in page and "后台受理组" in page
    answer = act(
        agent,
        console,
        number,
        oid,
        "transfer",
        team=str(console.operator.back_office.id),
        reason="非装维问题",
    )
    assert answer.status_code == 303
    assert state(console, oid)[3] == console.operator.back_office.id
    assert last_event(console, oid) == ("transfer", agent.user.id, "非装维问题")
    flash_page = agent.get(f"/orders/{number}").text
    assert "已完成：转派" in flash_page


def test_assign_lists_team_members_and_records_the_actor(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    dispatcher = console.user("dispatcher", WEST_LAKE)
    page = dispatcher.get(f"/orders/{number}").text
    assert 'id="assign-assignee"' in page
    for tech in console.operator.techs:
        assert f'value="{tech.id}"' in page and tech.display_name in page
    tech = console.operator.techs[1]
    answer = dispatcher.post(
        f"/orders/{number}/assign", {"version": str(state(console, oid)[2]), "assignee": str(tech.id)}
    )
    assert answer.status_code == 303
    assert state(console, oid)[4] == tech.id
    assert last_event(console, oid)[:2] == ("assigned", dispatcher.user.id)
    assert "装维2" in text_of(dispatcher.get(f"/orders/{number}").text)


def test_a_forged_assign_to_someone_outside_the_team_changes_nothing(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    dispatcher = console.user("dispatcher", WEST_LAKE)
    before = state(console, oid)
    outsider = console.operator.agent  # the back office's agent, not of the field crew
    answer = dispatcher.post(
        f"/orders/{number}/assign", {"version": str(before[2]), "assignee": str(outsider.id)}
    )
    assert answer.status_code == 422
    assert "assignee" in answer.text and state(console, oid) == before


def test_add_note_and_an_empty_note_is_refused_next_to_the_field(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    assert agent.post(f"/orders/{number}/note", {"text": "客户要求周末上门"}).status_code == 303
    assert last_event(console, oid) == ("note", agent.user.id, "客户要求周末上门")
    count = event_count(console, oid)
    refused = agent.post(f"/orders/{number}/note", {"text": "   "})
    assert refused.status_code == 422
    assert 'id="note-text-error"' in refused.text and "请先填写备注内容" in refused.text
    assert 'aria-describedby="note-text-error"' in refused.text
    assert event_count(console, oid) == count


@pytest.mark.parametrize(
    ("prepare", "action", "data", "field", "message"),
    [
        ([], "pause", {"reason": ""}, "pause-reason", "请填写可告知客户的原因"),
        (
            ["contact"],
            "resolve",
            {"resolution_code": "", "resolution": "已处理"},
            "resolve-resolution_code",
            "处理结果代码",
        ),
        (["contact"], "appoint", {"appointment_at": "明天上午"}, "appoint-appointment_at", "预约日期和时间"),
        ([], "transfer", {"team": ""}, "transfer-team", "请选择班组"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_changes_nothing(
    console: Console, prepare: list[str], action: str, data: dict[str, str], field: str, message: str
) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    for step in prepare:
        assert perform(console, number, oid, step)[1].status_code == 303
    before, events = state(console, oid), event_count(console, oid)
    answer = act(agent, console, number, oid, action, **data)
    assert answer.status_code == 422
    assert f'<p class="field-error" id="{field}-error">' in answer.text
    assert message in answer.text
    assert f'id="{field}"' in answer.text and f'aria-describedby="{field}-error"' in answer.text
    assert state(console, oid) == before and event_count(console, oid) == events
    for value in data.values():  # what was typed is kept
        assert value in answer.text


def test_an_illegal_action_is_refused_with_a_clear_message(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    before = state(console, oid)
    answer = act(agent, console, number, oid, "arrive")
    assert answer.status_code == 409
    assert "工单当前状态不允许此操作" in answer.text
    assert state(console, oid) == before
    assert agent.post(f"/orders/{number}/act/fly", {"version": "1"}).status_code == 404


def test_a_stale_click_loses_and_is_told_why(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    first, second = console.user("agent", WEST_LAKE), console.user("dispatcher", WEST_LAKE)
    seen = str(state(console, oid)[2])  # both agents opened the page at this version
    assert first.post(f"/orders/{number}/act/extract", {"version": seen}).status_code == 303
    after_first = state(console, oid)
    answer = second.post(f"/orders/{number}/contact", {"version": seen, "outcome": "reached"})
    assert answer.status_code == 412
    assert "该工单已被他人修改" in answer.text
    assert f'name="version" value="{after_first[2]}"' in answer.text  # the page now has the latest
    assert state(console, oid) == after_first
    stale_assign = second.post(
        f"/orders/{number}/assign", {"version": seen, "assignee": str(console.operator.techs[0].id)}
    )
    assert stale_assign.status_code == 412 and state(console, oid) == after_first


@pytest.mark.parametrize("role", ["inspector", "auditor"])
def test_read_only_roles_see_no_forms_and_cannot_post(console: Console, role: str) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    reader = console.user(role, WEST_LAKE)
    page = reader.get(f"/orders/{number}")
    assert page.status_code == 200
    assert "/act/" not in page.text and f"/orders/{number}/note" not in page.text
    assert f'action="/orders/{number}/attachments"' not in page.text
    assert f"/orders/{number}/assign" not in page.text
    before = state(console, oid)
    version = str(before[2])
    assert reader.post(f"/orders/{number}/act/extract", {"version": version}).status_code == 403
    assert reader.post(f"/orders/{number}/assign", {"version": version, "assignee": "1"}).status_code == 403
    assert reader.post(f"/orders/{number}/note", {"text": "x"}).status_code == 403
    upload = reader.post(f"/orders/{number}/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    assert upload.status_code == 403
    assert state(console, oid) == before


def test_out_of_region_actions_look_missing(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    ningbo = console.user("agent", ("330200",))
    before = state(console, oid)
    version = str(before[2])
    assert ningbo.post(f"/orders/{number}/act/extract", {"version": version}).status_code == 404
    assert ningbo.post(f"/orders/{number}/note", {"text": "x"}).status_code == 404
    assert ningbo.post(f"/orders/{number}/assign", {"version": version, "assignee": "1"}).status_code == 404
    assert state(console, oid) == before


def test_a_forged_post_without_the_csrf_token_is_refused(console: Console) -> None:
    order = new_order(console)
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    before = state(console, oid)
    forged = agent.client.post(
        f"/orders/{number}/act/extract", data={"version": str(before[2])}, follow_redirects=False
    )
    assert forged.status_code == 403
    wrong = agent.client.post(
        f"/orders/{number}/act/extract",
        data={"version": str(before[2]), "csrf_token": "not-the-token"},
        follow_redirects=False,
    )
    assert wrong.status_code == 403
    assert state(console, oid) == before


def test_finished_orders_offer_only_what_is_left(console: Console) -> None:
    order = new_order(console, type="inquiry")
    number, oid = order.number, order.id
    agent = console.user("agent", WEST_LAKE)
    assert act(agent, console, number, oid, "cancel", reason="客户撤单").status_code == 303
    page = agent.get(f"/orders/{number}").text
    assert forms_on(page, number) == set()
    assert "工单已结束" in page
    assert "data-confirm=" not in page
