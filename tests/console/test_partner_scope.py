"""DOMAIN.md: a channel partner (代销点) sees its own orders — on every console page (order list and
search, order page and its forms, workbench queues, customer panel), never another's: those are
missing (404), as orders outside one's regions are."""

from __future__ import annotations

from sqlalchemy import select

from manyi.orders.models import OrderEvent, WorkOrder
from manyi.orders.partner_orders import give_to_partner
from manyi.org.models import User
from manyi.org.organisations import create_organisation
from tests.console.conftest import WEST_LAKE, Console, Staff, new_order


def _partner(console: Console) -> tuple[Staff, int, int, int, str, str, str]:
    shop = create_organisation(console.session, name="西湖代销点", kind="channel_partner")
    console.session.commit()
    staff = console.user("partner", WEST_LAKE, username="shop1")
    user = console.session.get(User, staff.user.id)
    assert user is not None
    user.organisation_id = shop.id
    console.session.commit()
    own = new_order(console, actor_id=user.id)  # the shop's own order: create_order records its organisation
    other = new_order(console)  # the hotline's, for the same customer
    given = new_order(console, type="install")
    give_to_partner(console.session, order_id=given.id, organisation_id=shop.id, actor_id=None)
    console.session.commit()
    return staff, shop.id, own.id, other.id, own.number, other.number, given.number


def test_a_partner_lists_and_opens_only_its_organisations_orders(console: Console) -> None:
    staff, _shop, _own_id, _other_id, own, other, given = _partner(console)
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
    staff, _shop, _own_id, other_id, _own, other, _given = _partner(console)
    version = console.session.scalar(select(WorkOrder.version).where(WorkOrder.id == other_id))
    console.session.commit()
    assert staff.post(f"/orders/{other}/note", {"text": "跟进"}).status_code == 404
    assert staff.post(f"/orders/{other}/act/extract", {"version": str(version)}).status_code == 404
    upload = staff.post(f"/orders/{other}/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    assert upload.status_code == 404
    notes = console.session.scalar(select(WorkOrder.note_count).where(WorkOrder.id == other_id))
    console.session.commit()
    assert notes == 0


def test_the_customer_panel_shows_a_partner_none_of_the_customers_other_orders(console: Console) -> None:
    staff, _shop, _own_id, _other_id, own, other, given = _partner(console)
    panel = staff.get(f"/workbench/customer/{console.operator.customer.id}")
    assert panel.status_code == 200
    assert own in panel.text and given in panel.text and other not in panel.text
    home = staff.get("/workbench").text  # "my orders": the ones it opened itself
    assert own in home and other not in home


def test_a_dispatcher_gives_an_order_to_a_partner_and_takes_it_back_on_the_order_page(
    console: Console,
) -> None:
    staff, shop, _own_id, other_id, _own, other, _given = _partner(console)
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
    assert f'action="/orders/{_own}/partner"' not in staff.get(f"/orders/{_own}").text
    assert staff.post(f"/orders/{_own}/partner", {"organisation": str(shop)}).status_code == 403
    assert (
        console.user("agent", WEST_LAKE)
        .post(f"/orders/{other}/partner", {"organisation": str(shop)})
        .status_code
        == 403
    )
