"""DOMAIN.md: a channel partner (代销点) sees its own orders — in the order list and search, on the order
page and its forms — never another's: those are missing (404), as orders outside one's regions are.
The operator's dispatcher gives an order to the partner, or takes it back, on the order page."""

from __future__ import annotations

from sqlalchemy import select

from manyi.orders.models import OrderEvent, WorkOrder
from tests.fixtures.console import WEST_LAKE, Console
from tests.fixtures.partners import partner_world


def test_a_partner_lists_and_opens_only_its_organisations_orders(console: Console) -> None:
    w = partner_world(console)
    staff, own, other, given = w.staff, w.own, w.other, w.given
    listed = staff.get("/orders").text
    assert own in listed and given in listed and other not in listed
    # searching for the other order's number finds nothing
    assert f'href="/orders/{other}"' not in staff.get(f"/orders?q={other}").text
    assert f'href="/orders/{other}"' in console.user("agent", WEST_LAKE).get(f"/orders?q={other}").text
    assert staff.get(f"/orders/{own}").status_code == 200
    assert staff.get(f"/orders/{given}").status_code == 200
    assert staff.get(f"/orders/{other}").status_code == 404
    # the operator's agent of the region sees all three
    agent_list = console.user("agent", WEST_LAKE).get("/orders").text
    assert own in agent_list and other in agent_list and given in agent_list


def test_a_partner_cannot_act_on_another_order_it_is_missing(console: Console) -> None:
    w = partner_world(console)
    staff, other_id, other = w.staff, w.other_id, w.other
    version = console.session.scalar(select(WorkOrder.version).where(WorkOrder.id == other_id))
    console.session.commit()
    assert staff.post(f"/orders/{other}/note", {"text": "跟进"}).status_code == 404
    assert staff.post(f"/orders/{other}/act/extract", {"version": str(version)}).status_code == 404
    upload = staff.post(f"/orders/{other}/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    assert upload.status_code == 404
    notes = console.session.scalar(select(WorkOrder.note_count).where(WorkOrder.id == other_id))
    console.session.commit()
    assert notes == 0


def test_a_dispatcher_gives_an_order_to_a_partner_and_takes_it_back_on_the_order_page(
    console: Console,
) -> None:
    w = partner_world(console)
    staff, shop, other_id, other, own = w.staff, w.shop_id, w.other_id, w.other, w.own
    dispatcher = console.user("dispatcher", WEST_LAKE)
    page = dispatcher.get(f"/orders/{other}").text
    assert f'action="/orders/{other}/partner"' in page and "西湖代销点" in page
    assert (
        dispatcher.post(
            f"/orders/{other}/partner", {"organisation": str(shop), "reason": "代销点跟进"}
        ).status_code
        == 303
    )
    assert staff.get(f"/orders/{other}").status_code == 200  # the shop now sees it
    assert dispatcher.post(f"/orders/{other}/partner", {"organisation": ""}).status_code == 303
    assert staff.get(f"/orders/{other}").status_code == 404
    actions = console.session.scalars(
        select(OrderEvent.action).where(OrderEvent.order_id == other_id, OrderEvent.action.like("partner%"))
    ).all()
    console.session.commit()
    assert actions == ["partner_given", "partner_taken_back"]
    # neither the shop's staff nor an agent may use the form
    assert f'action="/orders/{own}/partner"' not in staff.get(f"/orders/{own}").text
    assert staff.post(f"/orders/{own}/partner", {"organisation": str(shop)}).status_code == 403
    assert (
        console.user("agent", WEST_LAKE)
        .post(f"/orders/{other}/partner", {"organisation": str(shop)})
        .status_code
        == 403
    )
