"""PII sweep of the REST API: every GET a role without pii:read can make, for a customer whose phone,
ID number and mobile lines are known (and typed into tickets' free text), never returns a full
number; a phone filter is refused; a masked text sent back unchanged does not overwrite the stored one."""

from __future__ import annotations

import pytest

from manyi.app import create_app
from manyi.orders.models import RoutingRule
from manyi.sla.models import SlaPolicy
from tests.fixtures.api import Api
from tests.fixtures.pii import ID_NUMBER, NO_PII_ROLES, PHONE, SECOND_LINE, PiiWorld, seed_pii
from tests.orders.tmf.test_tickets import BASE as TICKETS
from tests.orders.tmf.test_tickets import patch

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


@pytest.fixture
def world(api: Api) -> PiiWorld:
    return seed_pii(api.session, api.operator)


def _sms_to(api: Api, world: PiiWorld) -> str:
    """An SMS to the customer whose numbers the sweep looks for (TMF681 shows its receiver)."""
    from manyi.notify.messages import queue_message

    message = queue_message(
        api.session,
        channel="sms",
        event="tmf681",
        address=PHONE,
        text="PII 扫描",
        customer_id=world.customer_id,
        urgent=True,
    )
    return str(message.id)


def _urls(api: Api, world: PiiWorld) -> list[str]:
    s, op = api.session, api.operator
    ids = {
        TICKETS: [world.mobile_order.number, world.broadband_order.number],
        CUSTOMERS: [str(world.customer_id)],
        "/api/v1/slaPolicies": [str(s.query(SlaPolicy.id).limit(1).scalar())],
        "/api/v1/routingRules": [str(s.query(RoutingRule.id).limit(1).scalar())],
        "/api/v1/teams": [str(op.field_team.id)],
        "/api/v1/users": [str(op.agent.id)],
        "/api/v1/customers": [str(world.customer_id)],  # /api/v1/customers/{id}/history
        "/tmf-api/communicationManagement/v4/communicationMessage": [_sms_to(api, world)],
    }
    s.commit()
    urls = []
    for path, operations in create_app().openapi()["paths"].items():
        if "get" not in operations or path == "/healthz":
            continue
        if "{id}" in path:
            base = path.rsplit("/{id}", 1)[0]
            assert base in ids, f"{path}: give the sweep an id for it"
            urls += [path.replace("{id}", i) for i in ids[base]]
        else:
            urls.append(
                path.replace("{name}", "office").replace("{year}", "2026").replace("{code}", "330106")
            )
    return urls + [
        f"{TICKETS}?relatedParty.id={world.customer_id}",
        f"{TICKETS}?fields=description,name,note,statusChange,statusChangeReason",
        f"{CUSTOMERS}?name=张三",
        f"{CUSTOMERS}?engagedParty.id=C0001",
    ]


@pytest.mark.parametrize("role", NO_PII_ROLES)
def test_no_response_holds_a_full_phone_or_id_number_without_pii(
    api: Api, world: PiiWorld, role: str
) -> None:
    headers = api.headers(role)
    answered = []
    for url in _urls(api, world):
        response = api.client.get(url, headers=headers)
        for secret in PiiWorld.secrets():
            assert secret not in response.text, f"{role} gets {secret} from {url} ({response.status_code})"
        if response.status_code == 200:
            answered.append(url)
    assert f"{CUSTOMERS}/{world.customer_id}" in answered
    assert f"{TICKETS}/{world.mobile_order.number}" in answered
    customer = api.client.get(f"{CUSTOMERS}/{world.customer_id}", headers=headers).json()
    lines = {s["product"] + ":" + s["serviceNumber"] for s in customer["subscription"]}
    assert lines == {"mobile:138****5678", "mobile:139****4321", "broadband:KD0571001"}
    ticket = api.client.get(f"{TICKETS}/{world.mobile_order.number}", headers=headers).json()
    assert ticket["description"] == "客户投诉扣费，联系电话 138****5678，身份证 330106********1234"
    assert ticket["name"] == "回拨 139****4321"
    assert ticket["note"][0]["text"] == "客户另一号码139****4321，已短信告知"


def test_a_role_with_pii_gets_the_numbers(api: Api, world: PiiWorld) -> None:
    """The sweep above is not vacuous: the same responses carry the numbers for an agent."""
    headers = api.headers("agent")
    customer = api.client.get(f"{CUSTOMERS}/{world.customer_id}", headers=headers).text
    assert PHONE in customer and SECOND_LINE in customer and ID_NUMBER in customer
    ticket = api.client.get(f"{TICKETS}/{world.mobile_order.number}", headers=headers).text
    assert "138-1234-5678" in ticket and ID_NUMBER in ticket and SECOND_LINE in ticket


@pytest.mark.parametrize("role", NO_PII_ROLES)
def test_customer_filter_by_phone_is_refused_without_pii(api: Api, world: PiiWorld, role: str) -> None:
    response = api.client.get(CUSTOMERS, params={"phoneNumber": PHONE}, headers=api.headers(role))
    assert response.status_code == 403 and "pii:read" in response.json()["message"]
    found = api.client.get(CUSTOMERS, params={"phoneNumber": PHONE}, headers=api.headers("agent"))
    assert [c["id"] for c in found.json()] == [str(world.customer_id)]


def test_a_masked_text_sent_back_does_not_overwrite_the_stored_numbers(api: Api, world: PiiWorld) -> None:
    number = world.mobile_order.number
    read = api.client.get(f"{TICKETS}/{number}", headers=api.headers("partner")).json()
    echoed = patch(api, number, {"description": read["description"], "name": read["name"]}, role="partner")
    assert echoed.status_code == 200, echoed.text
    stored = api.client.get(f"{TICKETS}/{number}", headers=api.headers("agent")).json()
    assert stored["description"] == world.mobile_order.description and stored["name"] == "回拨 139 8765 4321"
    changed = patch(api, number, {"description": "客户已撤诉"}, role="partner")
    assert changed.status_code == 200 and changed.json()["description"] == "客户已撤诉"
