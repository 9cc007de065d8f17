"""TMF621 through HTTP: create, get, list with TMF630 filters, PATCH lifecycle, ETags, idempotency,
region scope and DELETE."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.fixtures.api import Api

BASE = "/tmf-api/troubleTicket/v4/troubleTicket"
MERGE = {"Content-Type": "application/merge-patch+json"}


def new_ticket(api: Api, headers: dict[str, str] | None = None, **extra: Any) -> Any:
    body: dict[str, Any] = {
        "description": "宽带无法上网，光猫红灯",
        "severity": "major",
        "ticketType": "fault",
        "channel": {"id": "hotline"},
        "relatedParty": [
            {"id": str(api.operator.customer.id), "role": "customer", "@referredType": "Customer"}
        ],
        "relatedEntity": [
            {"id": str(api.operator.broadband.id), "role": "subscription", "@referredType": "Product"}
        ],
    }
    body.update(extra)
    return api.client.post(BASE, json=body, headers=headers or api.headers("agent"))


def patch(api: Api, ticket_id: str, body: dict[str, Any], role: str = "agent", **headers: str) -> Any:
    return api.client.patch(
        f"{BASE}/{ticket_id}", json=body, headers={**api.headers(role), **MERGE, **headers}
    )


def test_create_returns_201_location_and_the_full_ticket(api: Api) -> None:
    response = new_ticket(api, note=[{"text": "客户说昨晚开始断网"}])
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert response.headers["location"] == f"{BASE}/{ticket['id']}"
    assert ticket["id"].startswith("GD") and ticket["href"] == f"{BASE}/{ticket['id']}"
    assert ticket["@type"] == "ManyiTroubleTicket" and ticket["@baseType"] == "TroubleTicket"
    assert ticket["status"] == "acknowledged" and ticket["stage"] == "accepted"
    roles = {p["role"]: p for p in ticket["relatedParty"]}
    assert roles["customer"]["id"] == str(api.operator.customer.id)
    assert roles["owner"]["id"] == "agent_all"  # first responsibility: whoever accepted it
    assert ticket["relatedEntity"][0]["role"] == "subscription"
    assert ticket["region"]["id"] == "330106"  # from the customer
    assert ticket["team"]["id"] == str(api.operator.field_team.id)  # routed
    assert {c["kind"] for c in ticket["slaClock"]} == {"first_contact", "resolution"}  # a fault
    resolution = next(c for c in ticket["slaClock"] if c["kind"] == "resolution")
    assert ticket["expectedResolutionDate"] == resolution["dueDate"]
    assert [n["text"] for n in ticket["note"]] == ["客户说昨晚开始断网"]
    assert ticket["statusChange"][0]["status"] == "acknowledged"
    assert "contact" in ticket["nextActions"]


def test_missing_required_fields_and_bad_values_are_named(api: Api) -> None:
    missing = api.client.post(BASE, json={"description": "x", "ticketType": "fault"}, headers=api.headers())
    assert missing.status_code == 400 and "severity" in missing.json()["message"]
    bad_type = new_ticket(api, ticketType="wish")
    assert bad_type.status_code == 400 and "type" in bad_type.json()["message"]  # TMF paths: 400, not 422
    bad_severity = new_ticket(api, severity="apocalyptic")
    assert bad_severity.status_code == 400 and "severity" in bad_severity.json()["message"]
    # Two regions, no default, and the triage region (浙江省) outside them: the caller must say where.
    two_regions = api.headers("agent", ("330106", "330200"))
    no_region = api.client.post(
        BASE, json={"description": "x", "ticketType": "inquiry", "severity": "minor"}, headers=two_regions
    )
    assert no_region.status_code == 400 and "region" in no_region.json()["message"]


def test_idempotency_key_and_external_id_return_the_first_ticket(api: Api) -> None:
    headers = {**api.headers(), "Idempotency-Key": "crm-req-1"}
    first = new_ticket(api, headers)
    again = new_ticket(api, headers)
    assert first.json()["id"] == again.json()["id"]
    by_external = [new_ticket(api, externalId="BOSS-77").json()["id"] for _ in range(2)]
    assert by_external[0] == by_external[1] != first.json()["id"]
    listed = api.client.get(BASE, headers=api.headers())
    assert listed.headers["x-total-count"] == "2"


def test_full_lifecycle_through_patch(api: Api) -> None:
    ticket = new_ticket(api).json()
    tid = ticket["id"]
    steps = [
        ({"status": "inProgress"}, "inProgress"),
        ({"status": "pending", "statusChangeReason": "客户出差，下周再约"}, "pending"),
        ({"status": "inProgress"}, "inProgress"),
        ({"status": "resolved", "resolutionCode": "fixed", "statusChangeReason": "更换光猫"}, "resolved"),
        ({"status": "closed"}, "closed"),
    ]
    for body, status in steps:
        response = patch(api, tid, body)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    final = api.client.get(f"{BASE}/{tid}", headers=api.headers()).json()
    assert [s["status"] for s in final["statusChange"]] == [
        "acknowledged",
        "inProgress",
        "pending",
        "inProgress",
        "resolved",
        "closed",
    ]
    assert final["resolutionDate"]
    assert all(c["state"] in ("met", "stopped") for c in final["slaClock"])


def test_illegal_status_change_is_409_and_changes_nothing(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    response = patch(api, tid, {"status": "closed"})
    assert response.status_code == 409
    assert "allowed" in response.json()["message"]
    assert api.client.get(f"{BASE}/{tid}", headers=api.headers()).json()["status"] == "acknowledged"
    needs_reason = patch(api, tid, {"status": "pending"})
    assert needs_reason.status_code == 400 and "reason" in needs_reason.json()["message"]


def test_read_only_fields_and_wrong_media_type_are_refused(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    for field in ("creationDate", "id", "statusChange", "slaClock", "ticketType"):
        response = patch(api, tid, {field: "x"})
        assert response.status_code == 400 and field in response.json()["message"]
    json_patch = api.client.patch(
        f"{BASE}/{tid}",
        content=b'[{"op": "replace", "path": "/description", "value": "y"}]',
        headers={**api.headers(), "Content-Type": "application/json-patch+json"},
    )
    assert json_patch.status_code == 415
    # The TMF621 swagger's own media type is taken as a merge patch.
    plain = api.client.patch(f"{BASE}/{tid}", json={"description": "y"}, headers=api.headers())
    assert plain.status_code == 200 and plain.json()["description"] == "y"


def test_attribute_changes_notes_assignment_and_transfer(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    tech = api.operator.techs[0].username
    response = patch(
        api,
        tid,
        {
            "description": "宽带时断时续",
            "priority": "1",
            "note": [{"text": "已电话联系"}],
            "relatedParty": [{"id": tech, "role": "assignee", "@referredType": "Individual"}],
        },
    )
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert ticket["description"] == "宽带时断时续" and ticket["priority"] == "1"
    assert {p["role"]: p["id"] for p in ticket["relatedParty"]}["assignee"] == tech
    moved = patch(api, tid, {"team": {"id": str(api.operator.back_office.id)}})
    assert moved.json()["team"]["id"] == str(api.operator.back_office.id)
    assert {p["role"]: p["id"] for p in moved.json()["relatedParty"]}["owner"] == "agent_all"  # 首问 kept


def test_assigning_someone_outside_the_tickets_team_is_400_and_changes_nothing(api: Api) -> None:
    tid = new_ticket(api).json()["id"]  # a fault in a Hangzhou district: with the field crew
    before = api.client.get(f"{BASE}/{tid}", headers=api.headers()).json()
    outsider = api.operator.agent.username  # of the back office
    assignee = [{"id": outsider, "role": "assignee", "@referredType": "Individual"}]
    refused = patch(api, tid, {"description": "宽带时断时续", "relatedParty": assignee})
    assert refused.status_code == 400, refused.text
    error = refused.json()
    assert (error["code"], error["status"]) == ("invalid", "400")
    assert error["message"].startswith(
        f"assignee: expected an active member of team {api.operator.field_team.id}, the order's team"
    )
    assert api.client.get(f"{BASE}/{tid}", headers=api.headers()).json() == before
    # Transferred in the same request (the transfer comes first), the office's agent is a member.
    moved = patch(api, tid, {"team": {"id": str(api.operator.back_office.id)}, "relatedParty": assignee})
    assert moved.status_code == 200, moved.text
    assert {p["role"]: p["id"] for p in moved.json()["relatedParty"]}["assignee"] == outsider


def test_etag_if_match_stale_gets_412_and_changes_nothing(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    etag = api.client.get(f"{BASE}/{tid}", headers=api.headers()).headers["etag"]
    assert patch(api, tid, {"description": "第一次修改"}, **{"If-Match": etag}).status_code == 200
    stale = patch(api, tid, {"description": "第二次修改"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert api.client.get(f"{BASE}/{tid}", headers=api.headers()).json()["description"] == "第一次修改"


def test_concurrent_patches_with_the_same_etag_exactly_one_wins(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    response = api.client.get(f"{BASE}/{tid}", headers=api.headers())
    etag, headers = response.headers["etag"], {**api.headers(), **MERGE, "If-Match": response.headers["etag"]}
    codes: list[int] = []
    barrier = threading.Barrier(32)

    def worker(i: int) -> None:
        barrier.wait()
        r = api.client.patch(f"{BASE}/{tid}", json={"description": f"修改 {i}"}, headers=headers)
        codes.append(r.status_code)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [412] * 31, codes
    assert api.client.get(f"{BASE}/{tid}", headers=api.headers()).headers["etag"] != etag


def test_list_filters_fields_paging_and_sort(api: Api) -> None:
    ids = [new_ticket(api, severity=sev).json()["id"] for sev in ("minor", "major", "critical", "major")]
    inquiry = new_ticket(api, ticketType="inquiry", severity="minor").json()["id"]
    patch(api, ids[0], {"status": "inProgress"})
    h = api.headers()
    r = api.client.get(BASE, params={"severity": "major,critical"}, headers=h)
    assert r.headers["x-total-count"] == "3" and {t["id"] for t in r.json()} == set(ids[1:])
    r = api.client.get(BASE, params={"status": "inProgress"}, headers=h)
    assert [t["id"] for t in r.json()] == [ids[0]]
    r = api.client.get(BASE, params={"ticketType": "inquiry", "fields": "status,severity"}, headers=h)
    assert r.json() == [
        {
            "id": inquiry,
            "href": f"{BASE}/{inquiry}",
            "@type": "ManyiTroubleTicket",
            "status": "acknowledged",
            "severity": "minor",
        }
    ]
    r = api.client.get(BASE, params={"fields": "none", "limit": 2, "offset": 1, "sort": "id"}, headers=h)
    assert r.headers["x-total-count"] == "5" and r.headers["x-result-count"] == "2"
    assert [t["id"] for t in r.json()] == sorted([*ids, inquiry])[1:3]
    assert set(r.json()[0]) == {"id", "href", "@type"}
    r = api.client.get(
        BASE, params={"relatedParty.id": str(api.operator.customer.id), "region.id": "330100"}, headers=h
    )
    assert r.headers["x-total-count"] == "5"
    r = api.client.get(
        BASE, params={"relatedParty.id": "agent_all", "priority.lte": "3", "slaBreached": "false"}, headers=h
    )
    assert r.headers["x-total-count"] == "5"
    r = api.client.get(BASE, params={"creationDate.gt": "2100-01-01T00:00:00+08:00"}, headers=h)
    assert r.headers["x-total-count"] == "0"
    r = api.client.get(
        BASE, params={"team.id": str(api.operator.field_team.id), "sort": "-creationDate"}, headers=h
    )
    assert int(r.headers["x-total-count"]) == 4


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"flavour": "x"}, "flavour"),
        ({"creationDate.gt": "yesterday"}, "creationDate"),
        ({"status.gt": "a"}, "status"),
        ({"sort": "relatedParty.id"}, "sort"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(
    api: Api, params: dict[str, str], word: str
) -> None:
    response = api.client.get(BASE, params=params, headers=api.headers())
    assert response.status_code == 400 and word in response.json()["message"]


def test_region_scope_hides_tickets_as_404(api: Api) -> None:
    tid = new_ticket(api).json()["id"]  # in 330106 西湖区
    ningbo = api.headers("dispatcher", ("330200",))
    hangzhou = api.headers("dispatcher", ("330100",))
    assert api.client.get(f"{BASE}/{tid}", headers=ningbo).status_code == 404
    assert api.client.get(f"{BASE}/{tid}", headers=hangzhou).status_code == 200
    assert api.client.get(BASE, headers=ningbo).headers["x-total-count"] == "0"
    r = api.client.patch(f"{BASE}/{tid}", json={"description": "x"}, headers={**ningbo, **MERGE})
    assert r.status_code == 404
    # A customer outside the agent's regions is as unknown to it as one that does not exist ...
    outside = new_ticket(api, api.headers("agent", ("330200",)))
    assert outside.status_code == 400 and "does not exist" in outside.json()["message"]
    # ... and it may not open tickets in a region it does not serve.
    elsewhere = api.client.post(
        BASE,
        json={
            "description": "咨询",
            "ticketType": "inquiry",
            "severity": "minor",
            "region": {"id": "330106"},
        },
        headers=api.headers("agent", ("330200",)),
    )
    assert elsewhere.status_code == 403


def test_child_ticket_links_both_ways(api: Api) -> None:
    parent = new_ticket(api).json()["id"]
    child = new_ticket(
        api, troubleTicketRelationship=[{"id": parent, "relationshipType": "isChildOf"}]
    ).json()
    assert child["troubleTicketRelationship"] == [
        {"id": parent, "href": f"{BASE}/{parent}", "relationshipType": "isChildOf"}
    ]
    got = api.client.get(f"{BASE}/{parent}", headers=api.headers()).json()
    assert got["troubleTicketRelationship"][0]["relationshipType"] == "isParentOf"


def test_delete_needs_the_permission_cancels_and_hides(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    assert api.client.delete(f"{BASE}/{tid}", headers=api.headers("agent")).status_code == 403
    assert api.client.delete(f"{BASE}/{tid}", headers=api.headers("admin")).status_code == 204
    assert api.client.get(f"{BASE}/{tid}", headers=api.headers("admin")).status_code == 404
    assert api.client.get(BASE, headers=api.headers("admin")).headers["x-total-count"] == "0"


def test_writes_record_the_acting_user_in_history(api: Api) -> None:
    from manyi.orders.history import order_history
    from manyi.orders.service import get_order

    tid = new_ticket(api).json()["id"]
    patch(api, tid, {"status": "inProgress"}, role="dispatcher")
    api.session.expire_all()
    order = get_order(api.session, number=tid)
    actors = {e.action: e.actor_id for e in order_history(api.session, order_id=order.id)}
    from manyi.org.service import get_user

    assert actors["created"] == get_user(api.session, username="agent_all").id
    assert actors["start"] == get_user(api.session, username="dispatcher_all").id


def test_related_orders_and_attachments_show_on_both_tickets(api: Api, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from manyi.core.settings import get_settings
    from manyi.orders.attachments import add_attachment, relate_orders
    from manyi.orders.service import get_order

    monkeypatch.setenv("MANYI_ATTACHMENTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    a, b = new_ticket(api).json()["id"], new_ticket(api).json()["id"]
    order_a, order_b = get_order(api.session, number=a), get_order(api.session, number=b)
    relate_orders(api.session, order_id=order_a.id, related_order_id=order_b.id, kind="duplicate")
    add_attachment(api.session, order_id=order_b.id, filename="光猫.jpg", content=b"\xff\xd8jpeg")
    api.session.commit()
    got_a = api.client.get(f"{BASE}/{a}", headers=api.headers()).json()
    got_b = api.client.get(f"{BASE}/{b}", headers=api.headers()).json()
    assert got_a["troubleTicketRelationship"] == [
        {"id": b, "href": f"{BASE}/{b}", "relationshipType": "duplicate"}
    ]
    assert got_b["troubleTicketRelationship"] == [
        {"id": a, "href": f"{BASE}/{a}", "relationshipType": "duplicate"}
    ]
    assert [(x["name"], x["size"]["amount"]) for x in got_b["attachment"]] == [("光猫.jpg", 6)]
    assert got_a["attachment"] == []
    get_settings.cache_clear()
