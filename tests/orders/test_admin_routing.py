"""Admin API: routing rules — CRUD with ETags, and new tickets routed by them."""

from __future__ import annotations

from tests.api.admin_client import V1, get, new_ticket, patch, post, ticket
from tests.fixtures.api import Api


def _team_of_new_ticket(api: Api) -> str:
    return str(ticket(api, new_ticket(api).json()["id"])["team"]["id"])


def test_routing_rule_crud_and_routing_by_it(api: Api) -> None:
    field, office = str(api.operator.field_team.id), str(api.operator.back_office.id)
    listed = get(api, "/routingRules", role="dispatcher")
    assert listed.status_code == 200 and listed.headers["x-total-count"] == "2"
    assert [r["rank"] for r in listed.json()] == [10, 90]
    assert listed.json()[0]["team"] == {"id": field, "href": f"/api/v1/teams/{field}", "name": "西湖装维班"}
    assert _team_of_new_ticket(api) == field

    body = {
        "rank": 1,
        "orderType": "fault",
        "product": "broadband",
        "regionCode": "330100",
        "team": {"id": office},
    }
    created = post(api, "/routingRules", body)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert created.headers["location"] == rule["href"] == f"/api/v1/routingRules/{rule['id']}"
    assert rule["categoryPath"] is None and rule["active"] and rule["team"]["name"] == "后台受理组"
    assert _team_of_new_ticket(api) == office  # the new rule wins by rank

    etag = get(api, f"/routingRules/{rule['id']}").headers["etag"]
    assert created.headers["etag"] == etag
    off = patch(api, f"/routingRules/{rule['id']}", {"active": False, "product": None}, if_match=etag)
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False and off.json()["product"] is None
    assert off.headers["etag"] != etag
    assert _team_of_new_ticket(api) == field
    stale = patch(api, f"/routingRules/{rule['id']}", {"active": True}, if_match=etag)
    assert stale.status_code == 412
    assert get(api, "/routingRules", active="false").json()[0]["id"] == rule["id"]
    assert get(api, "/routingRules", **{"team.id": office}).headers["x-total-count"] == "2"

    stale_delete = api.client.delete(
        f"{V1}/routingRules/{rule['id']}", headers={**api.headers("admin"), "If-Match": etag}
    )
    assert stale_delete.status_code == 412
    deleted = api.client.delete(
        f"{V1}/routingRules/{rule['id']}", headers={**api.headers("admin"), "If-Match": off.headers["etag"]}
    )
    assert deleted.status_code == 204
    assert get(api, f"/routingRules/{rule['id']}").status_code == 404
    assert get(api, "/routingRules").headers["x-total-count"] == "2"


def test_bad_rules_are_refused_naming_the_field(api: Api) -> None:
    team = {"id": str(api.operator.back_office.id)}
    for body, status, word in [
        ({"team": {"id": "999999"}}, 422, "team"),
        ({"team": team, "orderType": "wish"}, 422, "orderType"),
        ({"team": team, "product": "radio"}, 422, "product"),
        ({"team": team, "regionCode": "999999"}, 422, "regionCode"),
        ({"team": team, "categoryPath": "NOPE"}, 422, "categoryPath"),
        ({"team": {"id": "x"}}, 400, "team"),
        ({"rank": 1}, 400, "team"),
    ]:
        response = post(api, "/routingRules", body)
        assert response.status_code == status, (body, response.text)
        assert word in response.json()["message"], (body, response.text)
    ok = post(api, "/routingRules", {"team": team, "categoryPath": "NET"})
    assert ok.status_code == 201, ok.text
    assert patch(api, f"/routingRules/{ok.json()['id']}", {"team": None}).status_code == 400
    assert post(api, "/routingRules", {"team": team}, role="supervisor").status_code == 403
    assert (
        api.client.delete(f"{V1}/routingRules/{ok.json()['id']}", headers=api.headers("agent")).status_code
        == 403
    )
