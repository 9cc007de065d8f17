"""The technician page: own jobs of today in route order, one-tap actions, completion form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import inspect, select

from manyi.console.jobs.queries import day_bounds
from manyi.core.clock import now
from manyi.orders import service
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.orders.resolutions import ON_SITE_RESOLUTION_CODES
from tests.fixtures.console import Browser, Console, Staff, text_of


@dataclass(frozen=True)
class Ref:
    """An order's id and number, kept outside the session (reading an expired order would take
    SQLite's write lock from under the app)."""

    id: int
    number: str


@dataclass
class Snapshot:
    status: str
    stage: str
    contact_attempts: int
    resolution_code: str | None
    resolution: str | None


def _job(
    console: Console,
    tech_id: int,
    *,
    at: datetime | None = None,
    type: str = "fault",
    region: str = "330106",
    title: str | None = None,
) -> Ref:
    """An on-site order assigned to the technician; booked at `at` when given (contacted otherwise)."""
    op, s = console.operator, console.session
    order = service.create_order(
        s,
        type=type,
        description="宽带不通",
        channel="hotline",
        region_code=region,
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        title=title,
    )
    service.transition_order(s, order_id=order.id, action="contact")
    if at is not None:
        service.transition_order(s, order_id=order.id, action="appoint", appointment_at=at)
    service.assign_order(s, order_id=order.id, assignee_id=tech_id)
    ref = Ref(order.id, order.number)
    s.commit()
    return ref


def _tech(console: Console, index: int = 0, regions: tuple[str, ...] = ()) -> Staff:
    return console.user("technician", regions, username=console.operator.techs[index].username)


def _events(console: Console, order: Ref, action: str) -> list[tuple[int | None, str | None]]:
    """(actor id, note) of the order's events of that action."""
    events = [
        (actor, note)
        for actor, note in console.session.execute(
            select(OrderEvent.actor_id, OrderEvent.note).where(
                OrderEvent.order_id == order.id, OrderEvent.action == action
            )
        )
    ]
    console.session.rollback()
    return events


def _uid(staff: Staff) -> int:
    """The staff member's user id without loading anything (see Ref)."""
    identity = inspect(staff.user).identity
    assert identity is not None
    return int(identity[0])


def _reload(console: Console, order: Ref) -> Snapshot:
    """The order as stored now (read, then the test session lets go of SQLite's lock)."""
    console.session.expire_all()
    fresh = console.session.get(WorkOrder, order.id)
    assert fresh is not None
    snap = Snapshot(
        fresh.status, fresh.stage, fresh.contact_attempts, fresh.resolution_code, fresh.resolution
    )
    console.session.rollback()
    return snap


def test_only_technicians_see_jobs_and_only_their_own(console: Console) -> None:
    for role in ("dispatcher", "agent", "supervisor"):
        assert console.user(role).get("/jobs").status_code == 403, role
    op = console.operator
    start, _ = day_bounds(now())
    mine = _job(console, op.techs[0].id, at=start + timedelta(hours=10))
    theirs = _job(console, op.techs[1].id, at=start + timedelta(hours=10))
    tech = _tech(console)
    html = tech.get("/jobs").text
    assert mine.number in html and theirs.number not in html
    assert tech.post(f"/jobs/{theirs.id}/arrive").status_code == 404
    assert tech.get(f"/jobs/{theirs.id}/done").status_code == 404
    assert _reload(console, theirs).stage == "appointed"


def test_a_job_outside_my_regions_is_missing(console: Console) -> None:
    tech = console.user("technician", regions=("330106",))
    far = _job(console, _uid(tech), region="330200", at=day_bounds(now())[0] + timedelta(hours=9))
    assert far.number not in tech.get("/jobs").text
    assert tech.post(f"/jobs/{far.id}/arrive").status_code == 404


def test_route_order_appointments_by_time_then_unbooked_jobs(console: Console) -> None:
    op = console.operator
    start, end = day_bounds(now())
    tech_id = op.techs[0].id
    late = _job(console, tech_id, at=start + timedelta(hours=15))
    early = _job(console, tech_id, at=start + timedelta(hours=8))
    unbooked = _job(console, tech_id)
    tomorrow = _job(console, tech_id, at=end + timedelta(hours=9))
    inquiry = service.create_order(
        console.session, type="inquiry", description="咨询", channel="hotline", region_code="330106"
    )
    # Handed to the crew and assigned to the technician, it is still no on-site job.
    service.transfer_order(console.session, order_id=inquiry.id, team_id=op.field_team.id)
    service.assign_order(console.session, order_id=inquiry.id, assignee_id=tech_id)
    console.session.commit()
    html = _tech(console).get("/jobs").text
    positions = [html.index(o.number) for o in (early, late, unbooked)]
    assert positions == sorted(positions)
    assert tomorrow.number not in html and inquiry.number not in html
    assert 'href="tel:13812345678"' in html and "张三" in html  # contact, unmasked: pii:read
    assert 'class="clock' in html


def test_empty_day_says_so(console: Console) -> None:
    tech = console.user("technician", username="tech3", lang="en")
    assert "No jobs today" in text_of(tech.get("/jobs").text)


def test_arrived_moves_the_job_on_site_and_logs_who(console: Console) -> None:
    op = console.operator
    job = _job(console, op.techs[0].id, at=day_bounds(now())[0] + timedelta(hours=9))
    tech = _tech(console)
    response = tech.post(f"/jobs/{job.id}/arrive")
    assert response.status_code == 303
    assert _reload(console, job).stage == "on_site"
    assert _events(console, job, "arrive") == [(_uid(tech), None)]


def test_arrived_without_appointment_is_refused_clearly_and_changes_nothing(console: Console) -> None:
    job = _job(console, console.operator.techs[0].id)
    tech = console.user("technician", username="tech1", lang="en")
    response = tech.post(f"/jobs/{job.id}/arrive")
    assert response.status_code == 409
    assert "Not possible now" in text_of(response.text)
    assert _reload(console, job).stage == "contacted" and not _events(console, job, "arrive")


def test_customer_not_home_logs_the_attempt_with_the_note(console: Console) -> None:
    job = _job(console, console.operator.techs[0].id, at=day_bounds(now())[0] + timedelta(hours=9))
    tech = _tech(console)
    assert tech.post(f"/jobs/{job.id}/not-home", data={"text": "敲门无人"}).status_code == 303
    assert _reload(console, job).contact_attempts == 2  # the first was the booking call
    assert _events(console, job, "contact_failed") == [(_uid(tech), "customer not home: 敲门无人")]


def test_completion_form_checks_the_code_then_resolves(console: Console) -> None:
    job = _job(console, console.operator.techs[0].id, at=day_bounds(now())[0] + timedelta(hours=9))
    tech = _tech(console)
    form = tech.get(f"/jobs/{job.id}/done").text
    assert '<label for="resolution_code">' in form and '<label for="notes">' in form
    offered = re.findall(r'<option value="([a-z_]+)"', form)
    assert offered == list(ON_SITE_RESOLUTION_CODES)  # the orders domain's list, no other
    assert "已更换设备" in form and "客户侧原因" in form  # by name, in the page's language
    bad = tech.post(f"/jobs/{job.id}/done", data={"resolution_code": "", "notes": "换了光猫"})
    assert bad.status_code == 422
    assert 'aria-invalid="true" aria-describedby="resolution_code-error"' in bad.text
    assert "换了光猫" in bad.text  # what was typed is kept
    unknown = tech.post(f"/jobs/{job.id}/done", data={"resolution_code": "magic"})
    assert unknown.status_code == 422
    assert _reload(console, job).status == "inProgress" and not _events(console, job, "resolve")
    good = tech.post(
        f"/jobs/{job.id}/done", data={"resolution_code": "equipment_replaced", "notes": "换了光猫"}
    )
    assert good.status_code == 303
    done = _reload(console, job)
    assert (done.status, done.resolution_code, done.resolution) == (
        "resolved",
        "equipment_replaced",
        "换了光猫",
    )
    assert _events(console, job, "resolve") == [(_uid(tech), "换了光猫")]
    assert f'id="job-{job.id}"' not in tech.get("/jobs").text  # finished jobs leave the list


def test_browser_dispatcher_assigns_then_technician_arrives_and_completes(
    console: Console, browser: Browser
) -> None:
    op = console.operator
    s = console.session
    op.broadband.address = "杭州市西湖区文三路90号3幢2单元501室"
    order = service.create_order(
        s,
        type="fault",
        description="宽带不通",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        title="光猫红灯",
    )
    service.transition_order(s, order_id=order.id, action="contact")
    booked = day_bounds(now())[0] + timedelta(hours=10)
    service.transition_order(s, order_id=order.id, action="appoint", appointment_at=booked)
    job = Ref(order.id, order.number)
    s.commit()
    dispatcher = console.user("dispatcher", regions=("330106",))
    tech = _tech(console)

    board = browser.page_for(dispatcher)
    board.goto(f"/board?team={op.field_team.id}")
    board.get_by_label(f"选择工单 {job.number}").first.check()
    board.get_by_label("将所选工单派给").select_option(label="装维1（在办 0）")
    browser.screenshot(board, "board")
    board.get_by_role("button", name="批量派单").click()
    board.get_by_text("已派单 1 张工单").wait_for()

    phone = browser.page_for(tech, mobile=True)
    phone.goto("/jobs")
    phone.get_by_text(job.number).wait_for()
    browser.screenshot(phone, "jobs")
    phone.get_by_role("button", name="已到达").click()
    phone.get_by_text(f"{job.number}：已记录到达现场。").wait_for()
    phone.get_by_role("link", name="完工").click()
    phone.get_by_label("处理结果").select_option(label="已更换设备")
    phone.get_by_label("备注").fill("更换光猫，测速正常")
    browser.screenshot(phone, "jobs-complete")
    phone.get_by_role("button", name="提交完工").click()
    phone.get_by_text("今日无工单").wait_for()
    done = _reload(console, job)
    assert (done.status, done.resolution_code) == ("resolved", "equipment_replaced")
    assert _events(console, job, "assigned")[0][0] == _uid(dispatcher)
    assert _events(console, job, "arrive") == [(_uid(tech), None)]


def test_a_technician_cannot_make_the_callback_of_a_job_they_completed(console: Console) -> None:
    """001: the callback is made by the call centre's callback seats, not by whoever did the work."""
    job = _job(console, console.operator.techs[0].id, at=day_bounds(now())[0] + timedelta(hours=9))
    tech = _tech(console)
    assert tech.post(f"/jobs/{job.id}/arrive").status_code == 303
    assert tech.post(f"/jobs/{job.id}/done", data={"resolution_code": "repaired"}).status_code == 303
    assert "/callback" not in tech.get("/jobs").text
    page = tech.get(f"/orders/{job.number}").text
    assert f'action="/orders/{job.number}/callback"' not in page
    assert f'action="/orders/{job.number}/act/close"' in page  # a fault closes plainly; no callback offered
    refused = tech.post(f"/orders/{job.number}/callback", data={"version": "1", "result": "satisfied"})
    assert refused.status_code == 403 and _reload(console, job).status == "resolved"
