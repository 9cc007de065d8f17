"""The dispatcher board: who may see it, what each section lists, filters in the URL, bulk assign."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from manyi.core.clock import now
from manyi.orders import service
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.sla.models import SlaClock
from tests.fixtures.console import Console, text_of


def _order(console: Console, *, region: str = "330106", type: str = "fault", ago: int = 0) -> WorkOrder:
    op = console.operator
    order = service.create_order(
        console.session,
        type=type,
        description="宽带不通",
        channel="hotline",
        region_code=region,
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        at=now() - timedelta(minutes=ago),
    )
    console.session.commit()
    return order


def _due_in(console: Console, order: WorkOrder, minutes: int) -> None:
    """Make the order's first clock run out `minutes` from now (warning half-way)."""
    clock = console.session.scalars(select(SlaClock).where(SlaClock.order_id == order.id)).first()
    assert clock is not None
    at = now()
    clock.due_at, clock.warn_at = at + timedelta(minutes=minutes), at + timedelta(minutes=minutes // 2)
    clock.next_check_at = clock.warn_at
    console.session.commit()


def test_board_is_for_dispatchers_supervisors_and_admins(console: Console) -> None:
    for role in ("dispatcher", "supervisor", "admin"):
        assert console.user(role).get("/board").status_code == 200, role
    for role in ("agent", "technician", "inspector"):
        assert console.user(role).get("/board").status_code == 403, role
    assert console.user("technician").post("/board/assign", data={"team": "1"}).status_code == 403


def test_new_orders_oldest_first_with_age_in_region_only(console: Console) -> None:
    older = _order(console, ago=90)
    newer = _order(console, ago=5)
    elsewhere = _order(console, region="330200", ago=120)
    extracted = _order(console, ago=200)
    service.transition_order(console.session, order_id=extracted.id, action="extract")
    console.session.commit()
    html = console.user("dispatcher", regions=("330106",), lang="en").get("/board?section=new").text
    assert older.number in html and newer.number in html
    assert html.index(older.number) < html.index(newer.number)
    assert elsewhere.number not in html and extracted.number not in html
    assert "1h 30m" in text_of(html)  # the age of the oldest


def test_breaching_lists_clocks_due_within_two_hours_soonest_first(console: Console) -> None:
    soon, sooner, later, breached = (_order(console) for _ in range(4))
    _due_in(console, soon, 90)
    _due_in(console, sooner, 20)
    _due_in(console, later, 180)
    _due_in(console, breached, -10)
    html = console.user("dispatcher", regions=("330106",)).get("/board?section=breaching").text
    assert sooner.number in html and soon.number in html
    assert html.index(sooner.number) < html.index(soon.number)
    assert later.number not in html and breached.number not in html
    assert 'class="clock ok"' in html and "data-due=" in html


def test_unassigned_counts_per_team_and_the_chosen_teams_list(console: Console) -> None:
    op = console.operator
    waiting = _order(console)
    taken = _order(console)
    service.assign_order(console.session, order_id=taken.id, assignee_id=op.techs[0].id)
    office = _order(console, type="inquiry")
    console.session.commit()
    staff = console.user("dispatcher", regions=("330106",))
    overview = text_of(staff.get("/board?section=unassigned").text)
    assert f"{op.field_team.name} 1" in overview and f"{op.back_office.name} 1" in overview
    html = staff.get(f"/board?section=unassigned&team={op.field_team.id}").text
    assert waiting.number in html and taken.number not in html and office.number not in html


def test_filters_stay_in_the_url_and_narrow_every_section(console: Console) -> None:
    fault = _order(console)
    install = _order(console, type="install")
    staff = console.user("dispatcher")
    html = staff.get("/board?type=install&region=330106").text
    assert install.number in html and fault.number not in html
    assert '<option value="install" selected>' in html and '<option value="330106" selected>' in html
    assert "/board?region=330106&amp;type=install&amp;section=" in html or "section=unassigned" in html
    assert fault.number in staff.get("/board?type=fault&section=new").text
    assert staff.get("/board?type=bogus&team=x&page=-3").status_code == 200  # stale links still open


def _assign(console: Console, staff_role: str, order_ids: list[int], assignee: int) -> Any:
    staff = console.user(staff_role, regions=("330106",))
    data = {
        "order": [str(i) for i in order_ids],
        "assignee": str(assignee),
        "team": str(console.operator.field_team.id),
    }
    return staff.post("/board/assign", data=data)


def test_bulk_assign_assigns_every_selected_order_with_history(console: Console) -> None:
    op = console.operator
    first, second = _order(console), _order(console)
    staff = console.user("dispatcher", regions=("330106",))
    page = staff.get(f"/board?team={op.field_team.id}").text
    assert "装维1（在办 0）" in page  # members listed with their open load
    response = _assign(console, "dispatcher", [first.id, second.id], op.techs[1].id)
    assert response.status_code == 303 and f"team={op.field_team.id}" in response.headers["location"]
    console.session.expire_all()
    for order in (first, second):
        assert console.session.get(WorkOrder, order.id).assignee_id == op.techs[1].id  # type: ignore[union-attr]
        event = console.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.action == "assigned")
        ).one()
        assert event.actor_id == staff.user.id
    console.session.rollback()
    follow = staff.client.get(response.headers["location"])
    assert "2" in text_of(follow.text) and "已派" in follow.text


def test_the_board_shows_the_open_load_auto_assignment_goes_by(console: Console) -> None:
    """Deleted orders count for no one; an order a member still holds in another team and a paused
    order count for them (manyi.orders.routing.open_load); the first member listed is who gets the next
    order assigned automatically."""
    op = console.operator
    tech1, tech2, tech3 = (t.id for t in op.techs)
    for tech in (tech1, tech1, tech2, tech2, tech3, tech3):
        service.assign_order(console.session, order_id=_order(console).id, assignee_id=tech)
    orders = console.session.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
    orders[1].deleted_at = now()  # hidden while still open
    orders[3].team_id = op.back_office.id  # tech2 came from the back office with this one
    service.transition_order(console.session, order_id=orders[5].id, action="pause", reason="客户出差")
    console.session.commit()
    page = text_of(console.user("dispatcher").get(f"/board?team={op.field_team.id}").text)
    assert "装维1（在办 1）" in page and "装维2（在办 2）" in page and "装维3（在办 2）" in page
    assert page.index("装维1（在办 1）") < page.index("装维2（在办 2）") < page.index("装维3（在办 2）")
    assigned = service.assign_order(console.session, order_id=_order(console).id)
    assert assigned.assignee_id == tech1
    console.session.commit()
    assert "装维1（在办 2）" in text_of(
        console.user("dispatcher").get(f"/board?team={op.field_team.id}").text
    )


def test_bulk_assign_is_all_or_nothing_and_names_the_bad_order(console: Console) -> None:
    op = console.operator
    good = _order(console)
    other_team = _order(console, type="inquiry")  # routed to the back office
    response = _assign(console, "dispatcher", [good.id, other_team.id], op.techs[0].id)
    assert response.status_code == 422
    assert other_team.number in response.text and 'class="field-error"' in response.text
    elsewhere = _order(console, region="330200")
    response = _assign(console, "dispatcher", [good.id, elsewhere.id], op.techs[0].id)
    assert response.status_code == 422 and str(elsewhere.id) in response.text
    response = _assign(console, "dispatcher", [good.id], op.agent.id)  # not a team member
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text
    assert _assign(console, "dispatcher", [], op.techs[0].id).status_code == 422
    console.session.expire_all()
    for order in (good, other_team, elsewhere):
        assert console.session.get(WorkOrder, order.id).assignee_id is None  # type: ignore[union-attr]
    assert not console.session.scalars(select(OrderEvent).where(OrderEvent.action == "assigned")).all()
    console.session.rollback()


# --- triage: orders awaiting their region ---------------------------------------------------------


def _triage_order(console: Console) -> WorkOrder:
    """What a standard TMF client's ticket without region becomes: waiting in the top region."""
    order = service.create_order(
        console.session,
        type="fault",
        description="光猫红灯",
        channel="web",
        region_code="330000",
        region_pending=True,
    )
    console.session.commit()
    return order


def test_orders_awaiting_their_region_are_listed_and_placed(console: Console) -> None:
    waiting = _triage_order(console)
    number = waiting.number
    placed_before = _order(console)
    staff = console.user("dispatcher")
    page = staff.get("/board")
    triage = page.text.split('id="triage-h"')[1].split("</section>")[0]
    assert "待定区域" in page.text and waiting.number in triage and placed_before.number not in triage
    assert 'name="target_region"' in triage and "西湖区" in triage
    # A dispatcher of 杭州市 does not see the province's triage at all.
    assert waiting.number not in console.user("dispatcher", regions=("330100",)).get("/board").text
    response = staff.post("/board/place", data={"order": str(waiting.id), "target_region": "330106"})
    assert response.status_code == 303, response.text
    follow = staff.client.get(response.headers["location"])
    assert f"工单 {waiting.number} 已指定区域：西湖区" in text_of(follow.text)
    assert 'id="triage-h"' not in follow.text  # nothing waits any more
    console.session.expire_all()
    order = console.session.get(WorkOrder, waiting.id)
    assert order is not None and (order.region_code, order.region_pending) == ("330106", False)
    assert order.team_id == console.operator.field_team.id  # routed again for 西湖区
    event = console.session.scalars(select(OrderEvent).where(OrderEvent.action == "placed")).one()
    assert event.actor_id == staff.user.id
    console.session.rollback()
    page = staff.get(f"/orders/{number}").text
    assert "指定区域" in page  # the timeline names the event


def test_placing_refuses_a_missing_region_a_placed_order_and_other_regions(console: Console) -> None:
    waiting = _triage_order(console)
    placed = _order(console)
    staff = console.user("dispatcher")
    no_region = staff.post("/board/place", data={"order": str(waiting.id), "target_region": ""})
    assert no_region.status_code == 422 and "请选择区域。" in no_region.text
    again = staff.post("/board/place", data={"order": str(placed.id), "target_region": "330106"})
    assert again.status_code == 422 and f"工单 {placed.number} 已有区域。" in again.text
    province = console.user("dispatcher", regions=("330000",), username="province_dispatcher")
    assert province.get("/board").status_code == 200
    missing = console.user("dispatcher", regions=("330100",)).post(
        "/board/place", data={"order": str(waiting.id), "target_region": "330106"}
    )
    assert missing.status_code == 422 and "不在您的管辖区域内" in missing.text
    assert console.user("technician").post("/board/place", data={"order": str(waiting.id)}).status_code == 403
    console.session.expire_all()
    order = console.session.get(WorkOrder, waiting.id)
    assert order is not None and order.region_pending and order.region_code == "330000"
    console.session.rollback()
