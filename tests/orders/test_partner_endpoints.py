"""DOMAIN.md: a channel partner (代销点) "sees its own orders" — the orders its organisation created or
was given, none other, on every API path; others answer 404 as orders outside one's regions do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.auth.service import issue_token
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.org.organisations import create_organisation
from manyi.org.service import create_user
from tests.fixtures.api import Api
from tests.fixtures.users import PASSWORD_HASH
from tests.orders.tmf.test_tickets import BASE, MERGE, new_ticket

WEST_LAKE = "330106"
PARTNER = "/api/v1/troubleTickets"


def _staff(api: Api, username: str, roles: list[str], organisation_id: int | None) -> dict[str, str]:
    user = create_user(
        api.session, username=username, roles=roles, regions=[WEST_LAKE], organisation_id=organisation_id
    )
    user.password_hash = PASSWORD_HASH
    secret, _ = issue_token(api.session, user_id=user.id)
    api.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _world(api: Api) -> dict[str, Any]:
    """Two channel partners and a contractor; a partner user of each; three tickets: one the shop
    opened, one the hotline opened, one the hotline opened and the dispatcher gave to the shop."""
    shop = create_organisation(api.session, name="西湖代销点", kind="channel_partner", region_code=WEST_LAKE)
    other = create_organisation(api.session, name="宁波代销点", kind="channel_partner")
    contractor = create_organisation(api.session, name="铁通代维公司", kind="contractor")
    api.session.commit()
    shop_id, other_id, contractor_id = shop.id, other.id, contractor.id  # plain ids: no reads later
    shop_h = _staff(api, "shop1", ["partner"], shop.id)
    other_h = _staff(api, "shop9", ["partner"], other.id)
    own = new_ticket(api, headers=shop_h, channel={"id": "partner"}).json()["id"]
    hotline = new_ticket(api).json()["id"]
    given = new_ticket(api).json()["id"]
    dispatcher = api.headers("dispatcher")
    answer = api.client.put(f"{PARTNER}/{given}/partner", json={"organization": shop.id}, headers=dispatcher)
    assert answer.status_code == 200, answer.text
    assert answer.json()["partnerOrganization"] == {"id": str(shop.id), "name": "西湖代销点"}
    return {
        "shop": shop_id,
        "other": other_id,
        "contractor": contractor_id,
        "shop_h": shop_h,
        "other_h": other_h,
        "own": own,
        "hotline": hotline,
        "given": given,
        "dispatcher": dispatcher,
    }


def _listed(api: Api, headers: dict[str, str], query: str = "") -> tuple[set[str], str]:
    response = api.client.get(f"{BASE}{query}", headers=headers)
    assert response.status_code == 200, response.text
    return {t["id"] for t in response.json()}, response.headers["X-Total-Count"]


def test_a_channel_partner_sees_only_the_orders_its_organisation_created_or_was_given(api: Api) -> None:
    w = _world(api)
    assert _listed(api, w["shop_h"]) == ({w["own"], w["given"]}, "2")
    # paging counts the same scope
    assert _listed(api, w["shop_h"], "?limit=1")[1] == "2"
    assert _listed(api, w["other_h"]) == (set(), "0")
    # the operator's own agent still sees everything in the region
    assert {w["own"], w["hotline"], w["given"]} <= _listed(api, api.headers("agent"))[0]
    own = api.client.get(f"{BASE}/{w['own']}", headers=w["shop_h"]).json()
    assert own["createdByOrganization"] == {"id": str(w["shop"]), "name": "西湖代销点"}
    assert api.client.get(f"{BASE}/{w['given']}", headers=w["shop_h"]).status_code == 200


def test_another_customers_order_is_missing_to_a_partner_not_forbidden(api: Api) -> None:
    w = _world(api)
    hotline = w["hotline"]
    for headers in (w["shop_h"], w["other_h"]):
        read = api.client.get(f"{BASE}/{hotline}", headers=headers)
        assert read.status_code == 404, read.text  # 404 as out of region: existence does not leak
        changed = api.client.patch(
            f"{BASE}/{hotline}", json={"note": [{"text": "x"}]}, headers={**headers, **MERGE}
        )
        assert changed.status_code == 404
    # nor can it hang a child ticket under it
    child = new_ticket(
        api,
        headers=w["shop_h"],
        troubleTicketRelationship=[{"id": hotline, "relationshipType": "isChildOf"}],
    )
    assert child.status_code == 400 and "does not exist" in child.text
    events = api.session.scalar(select(WorkOrder.note_count).where(WorkOrder.number == hotline))
    assert events == 0


def test_taking_an_order_back_hides_it_from_the_partner_and_both_are_history(api: Api) -> None:
    w = _world(api)
    given = w["given"]
    back = api.client.delete(f"{PARTNER}/{given}/partner?reason=客户改由营业厅办理", headers=w["dispatcher"])
    assert back.status_code == 200 and back.json()["partnerOrganization"] is None
    assert api.client.get(f"{BASE}/{given}", headers=w["shop_h"]).status_code == 404
    assert _listed(api, w["shop_h"]) == ({w["own"]}, "1")
    order_id = api.session.scalar(select(WorkOrder.id).where(WorkOrder.number == given))
    events = api.session.execute(
        select(OrderEvent.action, OrderEvent.changes, OrderEvent.note)
        .where(OrderEvent.order_id == order_id, OrderEvent.action.like("partner%"))
        .order_by(OrderEvent.id)
    ).all()
    api.session.commit()  # end the read: SQLite takes the write lock at BEGIN
    shop = w["shop"]
    assert [(e.action, e.changes, e.note) for e in events] == [
        ("partner_given", [{"field": "partner_org_id", "before": None, "after": shop}], None),
        (
            "partner_taken_back",
            [{"field": "partner_org_id", "before": shop, "after": None}],
            "客户改由营业厅办理",
        ),
    ]
    # taking back what is not given says so, naming the field
    again = api.client.delete(f"{PARTNER}/{given}/partner", headers=w["dispatcher"])
    assert again.status_code in (400, 422) and "organisation" in again.text


def test_only_the_operators_staff_with_ticket_partner_give_orders_to_partners(api: Api) -> None:
    w = _world(api)
    hotline, shop = w["hotline"], w["shop"]
    body = {"organization": shop}
    for headers in (api.headers("agent"), api.headers("technician"), w["shop_h"]):
        assert api.client.put(f"{PARTNER}/{hotline}/partner", json=body, headers=headers).status_code in (
            403,
            404,
        )
    # a partner's own staff are refused even with a dispatcher's role
    boss = _staff(api, "shopboss", ["partner", "dispatcher"], shop)
    refused = api.client.put(f"{PARTNER}/{w['own']}/partner", json={"organization": w["other"]}, headers=boss)
    assert refused.status_code == 403
    # only to an active channel partner: not a contractor, not an unknown id
    for organisation in (w["contractor"], 999_999):
        bad = api.client.put(
            f"{PARTNER}/{hotline}/partner", json={"organization": organisation}, headers=w["dispatcher"]
        )
        assert bad.status_code in (400, 422) and "organisation" in bad.text
    # a dispatcher of another region does not find the ticket
    ningbo = api.headers("dispatcher", ("330200",))
    assert api.client.put(f"{PARTNER}/{hotline}/partner", json=body, headers=ningbo).status_code == 404
    assert api.client.get(f"{BASE}/{hotline}", headers=w["shop_h"]).status_code == 404


def test_a_ticket_document_names_no_linked_ticket_the_partner_may_not_see(api: Api) -> None:
    w = _world(api)
    hotline = w["hotline"]
    child = new_ticket(api, troubleTicketRelationship=[{"id": hotline, "relationshipType": "isChildOf"}])
    assert child.status_code == 201, child.text
    number = child.json()["id"]
    given = api.client.put(
        f"{PARTNER}/{number}/partner", json={"organization": w["shop"]}, headers=w["dispatcher"]
    )
    assert given.status_code == 200, given.text

    def linked(headers: dict[str, str]) -> list[str]:
        """The linked tickets the caller's single read and list both name (the same document)."""
        one = api.client.get(f"{BASE}/{number}", headers=headers)
        listed = api.client.get(BASE, headers=headers)
        assert one.status_code == 200 and listed.status_code == 200, (one.text, listed.text)
        doc = one.json()
        assert next(t for t in listed.json() if t["id"] == number) == doc
        return [r["id"] for r in doc.get("troubleTicketRelationship", [])]

    assert linked(api.headers("agent")) == [hotline]  # the operator's agent sees the parent
    assert linked(w["shop_h"]) == []  # the shop sees its child, but not the hotline's parent's number
    parent = api.client.get(f"{BASE}/{hotline}", headers=api.headers("agent")).json()
    assert {"id": number, "href": f"{BASE}/{number}", "relationshipType": "isParentOf"} in parent[
        "troubleTicketRelationship"
    ]
