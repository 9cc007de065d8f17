"""Organization customers (政企/集团客户) through TMF629: engagedParty of @referredType Organization,
contact persons as relatedParty of role contact; create, get, list, patch, masking, conformance."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.tmf_client import SwaggerClient
from tests.fixtures.api import Api

BASE = "/tmf-api/customerManagement/v4/customer"
MERGE = {"Content-Type": "application/merge-patch+json"}
MANAGER = "9b2f6c1e-0d4a-4a8e-b1f7-3c5d2e6f8a90"


@pytest.fixture
def spec() -> SwaggerClient:
    return SwaggerClient("TMF629-Customer-v4.0.0.swagger.json", "http://unused", {})


def _contact(party_id: str | None, name: str, phone: str, **extra: Any) -> dict[str, Any]:
    contact = {
        "name": name,
        "role": "contact",
        "@referredType": "Individual",
        "contactMedium": [{"mediumType": "phone", "characteristic": {"phoneNumber": phone}}],
        **extra,
    }
    return {"id": party_id, **contact} if party_id else contact


def new_organization(api: Api, role: str = "agent", **extra: Any) -> Any:
    body: dict[str, Any] = {
        "name": "杭州某某科技有限公司",
        "engagedParty": {"id": "91330106MA2XXXXX1A", "@referredType": "Organization"},
        "relatedParty": [
            _contact(MANAGER, "王经理", "0571-87654321", title="信息中心主任"),
            _contact(None, "李工", "13712345678"),
        ],
        "region": {"id": "330106"},
    }
    body.update(extra)
    return api.client.post(BASE, json=body, headers=api.headers(role))


def test_create_get_and_list_an_organization_with_its_contacts(api: Api, spec: SwaggerClient) -> None:
    created = new_organization(api)
    assert created.status_code == 201, created.text  # refused before: "only Individual customers"
    doc = created.json()
    spec.validate("Customer", doc)
    assert doc["engagedParty"] == {
        "id": "91330106MA2XXXXX1A",
        "name": "杭州某某科技有限公司",
        "role": "customer",
        "@referredType": "Organization",
    }
    contacts = doc["relatedParty"]
    assert [(c["name"], c["role"], c["@referredType"]) for c in contacts] == [
        ("王经理", "contact", "Individual"),
        ("李工", "contact", "Individual"),
    ]
    assert contacts[0]["id"] == MANAGER and contacts[0]["title"] == "信息中心主任"
    assert len(contacts[1]["id"]) == 36  # given one when the client sent none
    assert contacts[0]["contactMedium"][0]["characteristic"]["phoneNumber"] == "0571-87654321"
    got = api.client.get(f"{BASE}/{doc['id']}", headers=api.headers()).json()
    assert got["relatedParty"] == contacts
    kinds = api.client.get(BASE, params={"engagedParty.@referredType": "Organization"}, headers=api.headers())
    assert [c["id"] for c in kinds.json()] == [doc["id"]]
    people = api.client.get(BASE, params={"engagedParty.@referredType": "Individual"}, headers=api.headers())
    assert doc["id"] not in {c["id"] for c in people.json()} and people.headers["x-total-count"] == "1"
    wrong = api.client.get(BASE, params={"engagedParty.@referredType": "Robot"}, headers=api.headers())
    assert wrong.status_code == 400


def test_contact_phones_are_masked_without_pii_read(api: Api, spec: SwaggerClient) -> None:
    cid = new_organization(api).json()["id"]
    for role in ("inspector", "partner"):
        doc = api.client.get(f"{BASE}/{cid}", headers=api.headers(role)).json()
        spec.validate("Customer", doc)
        phones = [c["contactMedium"][0]["characteristic"]["phoneNumber"] for c in doc["relatedParty"]]
        assert phones == ["057****4321", "137****5678"], role


def test_patch_replaces_the_contacts_and_bumps_the_version(api: Api, spec: SwaggerClient) -> None:
    cid = new_organization(api).json()["id"]
    etag = api.client.get(f"{BASE}/{cid}", headers=api.headers()).headers["etag"]
    # TMF629's Customer_Update requires engagedParty: a standard client repeats it.
    body = {
        "engagedParty": {"id": "91330106MA2XXXXX1A", "@referredType": "Organization"},
        "relatedParty": [_contact(MANAGER, "王经理", "0571-87650000")],
    }
    patched = api.client.patch(
        f"{BASE}/{cid}", json=body, headers={**api.headers(), **MERGE, "If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    spec.validate("Customer", patched.json())
    assert [c["name"] for c in patched.json()["relatedParty"]] == ["王经理"]
    assert patched.headers["etag"] != etag  # contacts are part of the customer
    again = api.client.patch(f"{BASE}/{cid}", json=body, headers={**api.headers(), **MERGE})
    assert again.headers["etag"] == patched.headers["etag"]  # the same list again changes nothing
    cleared = api.client.patch(
        f"{BASE}/{cid}", json={"relatedParty": None}, headers={**api.headers(), **MERGE}
    )
    assert cleared.json()["relatedParty"] == []


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"engagedParty": {"id": "another"}}, "customer number cannot be changed"),
        ({"engagedParty": {"@referredType": "Individual"}}, "cannot change kind"),
        ({"relatedParty": [{"name": "x", "role": "reporter"}]}, "role: expected contact"),
        ({"relatedParty": [_contact(None, "", "13712345678")]}, "name"),
        ({"relatedParty": [_contact(None, "张", "not a phone")]}, "phoneNumber"),
        (
            {"relatedParty": [_contact("dup", "甲", "13712345678"), _contact("dup", "乙", "13712345679")]},
            "same id",
        ),
        ({"relatedParty": [_contact("z" * 65, "甲", "13712345678")]}, "1-64"),
        ({"status": "inactive"}, "status"),
        ({"creditProfile": []}, "creditProfile"),
    ],
)
def test_bad_patches_name_the_field_and_change_nothing(api: Api, body: dict[str, Any], word: str) -> None:
    cid = new_organization(api).json()["id"]
    before = api.client.get(f"{BASE}/{cid}", headers=api.headers()).json()
    refused = api.client.patch(f"{BASE}/{cid}", json=body, headers={**api.headers(), **MERGE})
    assert refused.status_code == 400 and word in refused.json()["message"], refused.text
    assert api.client.get(f"{BASE}/{cid}", headers=api.headers()).json() == before


def test_a_person_has_no_contact_persons_and_no_organization_an_id_number(api: Api) -> None:
    person = {
        "name": "孙十",
        "engagedParty": {"@referredType": "Individual"},
        "relatedParty": [_contact(None, "孙十一", "13712345678")],
        "region": {"id": "330106"},
    }
    refused = api.client.post(BASE, json=person, headers=api.headers())
    assert refused.status_code == 400 and "Organization customers" in refused.json()["message"]
    id_number = new_organization(api, characteristic=[{"name": "idNumber", "value": "33010619900101123X"}])
    assert id_number.status_code == 400 and "idNumber" in id_number.json()["message"]
    robot = new_organization(api, engagedParty={"@referredType": "Robot"})
    assert robot.status_code == 400 and "Individual or Organization" in robot.json()["message"]
    assert api.client.get(BASE, headers=api.headers()).headers["x-total-count"] == "1"  # the operator's only
