"""Admin API: SLA policies — list, create, change; a changed limit recomputes the open clocks."""

from __future__ import annotations

from typing import Any

from tests.api.admin_client import get, new_ticket, patch, post, ticket
from tests.fixtures.api import Api

FAULT = "故障 fault"


def _fault_policy(api: Api) -> Any:
    response = get(api, "/slaPolicies", name=FAULT)
    assert response.status_code == 200, response.text
    [policy] = response.json()
    return policy


def test_readers_list_the_default_policies_in_rank_order(api: Api) -> None:
    response = get(api, "/slaPolicies", role="inspector")
    assert response.status_code == 200, response.text
    assert response.headers["x-total-count"] == response.headers["x-result-count"] == "7"
    policies = response.json()
    assert [p["rank"] for p in policies] == sorted(p["rank"] for p in policies)
    fault = next(p for p in policies if p["name"] == FAULT)
    assert fault["href"] == f"/api/v1/slaPolicies/{fault['id']}" and fault["@type"] == "SlaPolicy"
    assert fault["orderTypes"] == ["fault"] and fault["channels"] is None
    assert {"kind": "resolution", "amount": 3.0, "unit": "working_days"} in fault["targets"]
    one = get(api, f"/slaPolicies/{fault['id']}", role="dispatcher", fields="name")
    assert one.status_code == 200 and one.headers["etag"] == f'"{fault["version"]}"'
    assert set(one.json()) == {"id", "href", "@type", "name"}
    assert get(api, "/slaPolicies", role="agent").status_code == 403
    assert get(api, "/slaPolicies/999999").status_code == 404
    assert get(api, "/slaPolicies/abc").status_code == 404
    assert get(api, "/slaPolicies", colour="red").status_code == 400


def test_changing_a_target_recomputes_the_open_clocks_of_its_orders(api: Api) -> None:
    number = new_ticket(api).json()["id"]
    before = ticket(api, number)
    fault = _fault_policy(api)
    targets = [t if t["kind"] != "resolution" else {**t, "amount": 5} for t in fault["targets"]]

    response = patch(
        api, f"/slaPolicies/{fault['id']}", {"targets": targets}, if_match=f'"{fault["version"]}"'
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["recomputedClocks"] == 2  # first contact, resolution
    assert changed["version"] == fault["version"] + 1
    assert response.headers["etag"] == f'"{changed["version"]}"'
    after = ticket(api, number)
    assert after["expectedResolutionDate"] > before["expectedResolutionDate"]
    resolution = next(c for c in after["slaClock"] if c["kind"] == "resolution")
    assert resolution["limit"]["amount"] == 5

    # The version the client read is gone: a second edit based on it is refused, nothing changes.
    stale = patch(api, f"/slaPolicies/{fault['id']}", {"rank": 1}, if_match=f'"{fault["version"]}"')
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert _fault_policy(api)["rank"] == fault["rank"]

    # Only criteria: nothing to recompute. A new calendar moves the open clocks onto it.
    assert patch(api, f"/slaPolicies/{fault['id']}", {"rank": 50}).json()["recomputedClocks"] == 0
    moved = patch(api, f"/slaPolicies/{fault['id']}", {"calendar": "24x7"})
    assert moved.status_code == 200 and moved.json()["recomputedClocks"] == 2
    clocks = ticket(api, number)["slaClock"]
    assert {c["limit"]["calendar"] for c in clocks} == {"24x7"}


def test_a_new_policy_decides_the_clocks_of_new_orders(api: Api) -> None:
    body = {
        "name": "热线故障 hotline fault",
        "rank": 10,
        "orderTypes": ["fault"],
        "channels": ["hotline"],
        "regionCodes": ["330100"],
        "calendar": "24x7",
        "warningShare": 0.5,
        "targets": [{"kind": "resolution", "amount": 4, "unit": "natural_hours"}],
    }
    response = post(api, "/slaPolicies", body)
    assert response.status_code == 201, response.text
    policy = response.json()
    assert response.headers["location"] == policy["href"]
    assert policy["warningShare"] == 0.5 and policy["recomputedClocks"] == 0
    assert policy["products"] is None and policy["active"] is True
    clocks = ticket(api, new_ticket(api).json()["id"])["slaClock"]
    assert [(c["kind"], c["limit"]["calendar"]) for c in clocks] == [("resolution", "24x7")]

    off = patch(api, f"/slaPolicies/{policy['id']}", {"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    clocks = ticket(api, new_ticket(api).json()["id"])["slaClock"]
    assert {c["kind"] for c in clocks} == {"first_contact", "resolution"}  # a fault (seed 004)


def test_bad_policies_are_refused_naming_the_field(api: Api) -> None:
    good = {"name": "p", "targets": [{"kind": "resolution", "amount": 1, "unit": "working_days"}]}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**good, "orderTypes": ["wish"]}, 422, "orderTypes"),
        ({**good, "regionCodes": ["999999"]}, 422, "regionCodes"),
        ({**good, "categoryPathPrefixes": ["NOPE"]}, 422, "categoryPathPrefixes"),
        ({**good, "calendar": "mars"}, 422, "calendar"),
        ({**good, "priorities": [9]}, 422, "priorities"),
        ({**good, "targets": [{"kind": "resolution", "amount": 1.5, "unit": "working_days"}]}, 422, "amount"),
        ({**good, "targets": [{"kind": "resolution", "amount": 1, "unit": "fortnights"}]}, 400, "unit"),
        ({**good, "targets": [good["targets"][0], good["targets"][0]]}, 422, "twice"),
        ({**good, "targets": []}, 400, "targets"),
        ({**good, "warningShare": 1.5}, 400, "warningShare"),
        ({**good, "name": FAULT}, 409, "name"),
        ({**good, "id": "7"}, 400, "read-only"),
        ({**good, "colour": "red"}, 400, "colour"),
    ]
    for body, status, word in cases:
        response = post(api, "/slaPolicies", body)
        assert response.status_code == status, (body, response.text)
        assert word in response.json()["message"], (body, response.text)
    fault = _fault_policy(api)
    assert patch(api, f"/slaPolicies/{fault['id']}", {"name": None}).status_code == 400
    wrong_type = api.client.patch(
        f"/api/v1/slaPolicies/{fault['id']}", json={"rank": 1}, headers=api.headers("admin")
    )
    assert wrong_type.status_code == 415
    assert get(api, "/slaPolicies", name="p").headers["x-total-count"] == "0"


def test_only_admins_change_policies(api: Api) -> None:
    fault = _fault_policy(api)
    body = {"name": "x", "targets": [{"kind": "resolution", "amount": 1, "unit": "working_days"}]}
    for role in ("agent", "dispatcher", "supervisor", "inspector", "system"):
        assert post(api, "/slaPolicies", body, role=role).status_code == 403
        assert patch(api, f"/slaPolicies/{fault['id']}", {"rank": 1}, role=role).status_code == 403
