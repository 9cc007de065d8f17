"""What a client that knows only the TMF standard sends must work: ids of its own (UUIDs and up to 64
characters), tickets without Manyi's region (defaulted, or waiting in triage for a dispatcher),
400 rather than the undocumented 422 on TMF paths, and an absolute @schemaLocation that is served."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

from manyi.auth.service import create_api_key, set_api_key_default_region
from manyi.core.errors import ValidationFailed
from manyi.core.settings import reset_settings
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.org.service import create_user
from tests.api.tmf_client import SwaggerClient
from tests.fixtures.api import Api

TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
MERGE = {"Content-Type": "application/merge-patch+json"}
MINIMAL = {"description": "无法上网", "severity": "major", "ticketType": "fault"}  # TroubleTicket_Create


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set MANYI_* variables for one test; the settings are re-read before and after."""
    reset_settings()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


def _customer(api: Api, party_id: str, **extra: Any) -> Any:
    body = {"name": "刘一", "engagedParty": {"id": party_id, "@referredType": "Individual"}, **extra}
    return api.client.post(CUSTOMERS, json={"region": {"id": "330106"}, **body}, headers=api.headers())


# --- ids -----------------------------------------------------------------------------------------


def test_a_uuid_and_any_id_up_to_64_characters_is_accepted(api: Api) -> None:
    party = str(uuid.uuid4())
    created = _customer(api, party)
    assert created.status_code == 201, created.text  # refused before: "expected 1-32 characters"
    assert created.json()["engagedParty"]["id"] == party
    assert _customer(api, "x" * 64).status_code == 201
    too_long = _customer(api, "y" * 65)
    assert too_long.status_code == 400 and "engagedParty.id: expected 1-64" in too_long.json()["message"]
    # A ticket may name the customer by the id the client gave it (its engagedParty.id).
    ticket = api.client.post(
        TICKETS,
        json={**MINIMAL, "relatedParty": [{"id": party, "role": "customer", "@referredType": "Customer"}]},
        headers=api.headers(),
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["relatedParty"][0]["id"] == created.json()["id"]
    assert ticket.json()["region"]["id"] == "330106"  # the customer's


def test_external_ids_and_references_of_any_shape_are_answered_not_crashed_on(api: Api) -> None:
    h = api.headers()
    assert api.client.post(TICKETS, json={**MINIMAL, "externalId": "e" * 64}, headers=h).status_code == 201
    long_external = api.client.post(TICKETS, json={**MINIMAL, "externalId": "e" * 65}, headers=h)
    assert long_external.status_code == 400 and "externalId" in long_external.json()["message"]
    for odd in ("9" * 30, "²", str(uuid.uuid4())):  # beyond any id column, unicode digits, foreign ids
        party = {"id": odd, "role": "customer", "@referredType": "Customer"}
        refused = api.client.post(TICKETS, json={**MINIMAL, "relatedParty": [party]}, headers=h)
        assert refused.status_code == 400 and "does not exist" in refused.json()["message"], odd
        entity = {"id": odd, "role": "subscription", "@referredType": "Product"}
        refused = api.client.post(TICKETS, json={**MINIMAL, "relatedEntity": [entity]}, headers=h)
        assert refused.status_code == 400 and "relatedEntity" in refused.json()["message"], odd


# --- region of a ticket that names none ----------------------------------------------------------


def test_a_minimal_ticket_takes_the_callers_only_region(api: Api) -> None:
    west_lake = api.client.post(TICKETS, json=MINIMAL, headers=api.headers("agent", ("330106",)))
    assert west_lake.status_code == 201, west_lake.text
    assert west_lake.json()["region"]["id"] == "330106" and "regionPending" not in west_lake.json()
    # 杭州市 and its own 西湖区 are one region: the city.
    city = api.client.post(TICKETS, json=MINIMAL, headers=api.headers("agent", ("330100", "330106")))
    assert city.json()["region"]["id"] == "330100"


def test_a_minimal_ticket_takes_the_api_keys_default_region(api: Api) -> None:
    create_user(api.session, username="sys_crm", roles=["system"])
    secret, _ = create_api_key(api.session, name="crm", username="sys_crm", default_region="330106")
    api.session.commit()
    key = {"X-API-Key": secret}
    for body in (MINIMAL, {"name": "周八", "engagedParty": {"name": "周八"}}):
        url = TICKETS if "ticketType" in body else CUSTOMERS
        response = api.client.post(url, json=body, headers=key)
        assert response.status_code == 201, response.text
        assert response.json()["region"]["id"] == "330106"
    set_api_key_default_region(api.session, name="crm", region=None)
    api.session.commit()
    triage = api.client.post(TICKETS, json=MINIMAL, headers=key).json()  # an all-regions user: triage
    assert triage["region"]["id"] == "330000" and triage["regionPending"] is True


def test_an_api_keys_default_region_must_exist_and_lie_in_its_users_regions(api: Api) -> None:
    create_user(api.session, username="sys_ningbo", roles=["system"], regions=["330200"])
    with pytest.raises(ValidationFailed, match="outside the regions"):
        create_api_key(api.session, name="nb", username="sys_ningbo", default_region="330106")
    with pytest.raises(ValidationFailed, match="unknown region"):
        create_api_key(api.session, name="nb", username="sys_ningbo", default_region="999999")
    api.session.rollback()


def test_without_a_default_the_ticket_waits_in_triage_until_a_dispatcher_places_it(api: Api) -> None:
    created = api.client.post(TICKETS, json=MINIMAL, headers=api.headers("admin"))
    assert created.status_code == 201, created.text  # refused before: "region: give region.id…"
    ticket = created.json()
    assert ticket["region"]["id"] == "330000" and ticket["regionPending"] is True  # the top region
    SwaggerClient("TMF621-TroubleTicket-v4.0.0.swagger.json", "http://unused", {}).validate(
        "TroubleTicket", ticket
    )
    tid = ticket["id"]
    # Region scope holds: a dispatcher of 杭州市 does not see the province's triage.
    hangzhou = api.headers("dispatcher", ("330100",))
    assert api.client.get(f"{TICKETS}/{tid}", headers=hangzhou).status_code == 404
    listed = api.client.get(TICKETS, params={"region.id": "330000"}, headers=api.headers("dispatcher"))
    assert tid in {t["id"] for t in listed.json()}
    dispatcher = {**api.headers("dispatcher"), **MERGE}
    placed = api.client.patch(f"{TICKETS}/{tid}", json={"region": {"id": "330106"}}, headers=dispatcher)
    assert placed.status_code == 200, placed.text
    assert placed.json()["region"]["id"] == "330106" and "regionPending" not in placed.json()
    assert placed.json()["team"]["id"] == str(api.operator.field_team.id)  # routed again for 西湖区
    event = api.session.scalars(select(OrderEvent).where(OrderEvent.action == "placed")).one()
    assert {c["field"]: c["after"] for c in event.changes} == {
        "region_code": "330106",
        "region_pending": False,
        "team_id": api.operator.field_team.id,
    }
    api.session.rollback()  # end the read: SQLite lets one transaction write at a time
    moved = api.client.patch(f"{TICKETS}/{tid}", json={"region": {"id": "330200"}}, headers=dispatcher)
    assert moved.status_code == 409 and "already has its region" in moved.json()["message"]
    same = api.client.patch(f"{TICKETS}/{tid}", json={"region": {"id": "330106"}}, headers=dispatcher)
    assert same.status_code == 200  # a client resending the region changes nothing


def test_placing_stays_inside_the_dispatchers_regions(api: Api) -> None:
    tid = api.client.post(TICKETS, json=MINIMAL, headers=api.headers("admin")).json()["id"]
    province = {**api.headers("dispatcher", ("330000",)), **MERGE}
    unknown = api.client.patch(f"{TICKETS}/{tid}", json={"region": {"id": "999999"}}, headers=province)
    assert unknown.status_code == 400 and "unknown region" in unknown.json()["message"]
    order = api.session.scalars(select(WorkOrder).where(WorkOrder.number == tid)).one()
    api.session.refresh(order)
    assert order.region_pending and order.region_code == "330000"  # nothing changed
    api.session.rollback()


def test_the_triage_region_is_configurable(api: Api, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("MANYI_TRIAGE_REGION", "330100")
    reset_settings()
    ticket = api.client.post(TICKETS, json=MINIMAL, headers=api.headers("admin")).json()
    assert ticket["region"]["id"] == "330100" and ticket["regionPending"] is True
    # Now inside a 杭州市 dispatcher's regions: they see it and place it.
    hangzhou = {**api.headers("dispatcher", ("330100",)), **MERGE}
    placed = api.client.patch(
        f"{TICKETS}/{ticket['id']}", json={"region": {"id": "330106"}}, headers=hangzhou
    )
    assert placed.status_code == 200, placed.text


def test_a_standard_customer_without_region_gets_the_same_default(api: Api) -> None:
    body = {
        "name": "吴九",
        "engagedParty": {"name": "吴九", "@referredType": "Individual"},
    }  # Customer_Create
    only = api.client.post(CUSTOMERS, json=body, headers=api.headers("agent", ("330106",)))
    assert only.status_code == 201 and only.json()["region"]["id"] == "330106", only.text
    anywhere = api.client.post(CUSTOMERS, json=body, headers=api.headers("admin"))
    assert anywhere.status_code == 201 and anywhere.json()["region"]["id"] == "330000"


# --- errors --------------------------------------------------------------------------------------


def test_refused_values_are_400_on_tmf_paths_and_stay_422_on_api_v1(api: Api) -> None:
    tmf = api.client.post(TICKETS, json={**MINIMAL, "ticketType": "wish"}, headers=api.headers())
    assert tmf.status_code == 400 and tmf.json() == {
        "code": "invalid",
        "reason": "Bad Request",
        "message": tmf.json()["message"],
        "status": "400",
    }
    own = api.client.post(
        "/api/v1/teams",
        json={"name": "x", "department": {"id": "999"}},
        headers=api.headers("admin"),
    )
    assert own.status_code == 422, own.text
    paths = api.client.get("/openapi.json").json()["paths"]
    documented = {
        (path, code)
        for path, operations in paths.items()
        for operation in operations.values()
        for code in operation["responses"]
    }
    assert not {(p, c) for p, c in documented if p.startswith("/tmf-api/") and c == "422"}
    assert ("/api/v1/teams", "422") in documented


# --- @schemaLocation -----------------------------------------------------------------------------


def test_schema_location_is_an_absolute_uri_where_the_schema_is_served(api: Api) -> None:
    ticket = api.client.post(TICKETS, json=MINIMAL, headers=api.headers()).json()
    customer = _customer(api, "C-schema").json()
    for doc, name in ((ticket, "ManyiTroubleTicket"), (customer, "ManyiCustomer")):
        location = doc["@schemaLocation"]
        assert location == f"http://testserver/api/v1/schemas/{name}"
        served = api.client.get(location)  # no credentials needed
        assert served.status_code == 200 and served.json()["title"] == name
        jsonschema.Draft202012Validator(served.json()).validate(doc)


def test_a_configured_public_url_makes_the_schema_location(
    api: Api, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("MANYI_PUBLIC_URL", "https://manyi.example.com/")
    reset_settings()
    ticket = api.client.post(TICKETS, json=MINIMAL, headers=api.headers()).json()
    assert ticket["@schemaLocation"] == "https://manyi.example.com/api/v1/schemas/ManyiTroubleTicket"
