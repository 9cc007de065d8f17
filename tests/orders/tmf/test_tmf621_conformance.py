"""TMF621 conformance: every response validates against the official swagger's TroubleTicket, and a
client that knows only that swagger runs a full lifecycle against a live server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.tmf_client import SwaggerClient
from tests.fixtures.api import Api
from tests.fixtures.live import live_server
from tests.orders.tmf.test_tickets import BASE, new_ticket, patch

SPEC = "TMF621-TroubleTicket-v4.0.0.swagger.json"


@pytest.fixture
def swagger() -> SwaggerClient:
    client = SwaggerClient(SPEC, "http://unused", {})
    return client


def test_every_ticket_response_conforms(api: Api, swagger: SwaggerClient) -> None:
    created = new_ticket(api, note=[{"text": "第一条备注"}]).json()
    swagger.validate("TroubleTicket", created)
    tid = created["id"]
    child = new_ticket(api, troubleTicketRelationship=[{"id": tid, "relationshipType": "isChildOf"}]).json()
    swagger.validate("TroubleTicket", child)
    for body in ({"status": "inProgress"}, {"status": "resolved", "resolutionCode": "fixed"}):
        swagger.validate("TroubleTicket", patch(api, tid, body).json())
    swagger.validate("TroubleTicket", api.client.get(f"{BASE}/{tid}", headers=api.headers()).json())
    for ticket in api.client.get(BASE, headers=api.headers()).json():
        swagger.validate("TroubleTicket", ticket)
    for status in (400, 401, 404, 409, 412):
        swagger.validate("Error", _error(api, status, tid))


def _error(api: Api, status: int, tid: str) -> dict[str, Any]:
    h = api.headers()
    response = {
        400: lambda: api.client.get(BASE, params={"limit": "x"}, headers=h),
        401: lambda: api.client.get(BASE),
        404: lambda: api.client.get(f"{BASE}/GD00000000000000", headers=h),
        409: lambda: patch(api, tid, {"status": "rejected"}),
        412: lambda: patch(api, tid, {"description": "z"}, **{"If-Match": '"0"'}),
    }[status]()
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    return body


def test_a_required_field_missing_fails_validation(swagger: SwaggerClient) -> None:
    """The validator is not a rubber stamp: a RelatedParty without id breaks the official schema."""
    with pytest.raises(AssertionError):
        swagger.validate("TroubleTicket", {"id": "x", "relatedParty": [{"role": "customer"}]})
    with pytest.raises(AssertionError):
        swagger.validate("TroubleTicket", {"id": "x", "status": "sleeping"})
    with pytest.raises(AssertionError):
        swagger.validate("TroubleTicket", {"id": "x", "creationDate": "2026-11-22 10:00"})


def test_swagger_only_client_runs_a_full_lifecycle_on_a_live_server(api: Api) -> None:
    headers = api.headers("agent")
    with live_server() as server:
        client = SwaggerClient(SPEC, server, headers)
        try:
            body = {
                "description": "IPTV 无信号",
                "severity": "major",
                "ticketType": "fault",
                "priority": "2",
                "channel": {"id": "hotline", "name": "10086"},
                "relatedParty": [
                    {"id": str(api.operator.customer.id), "role": "customer", "@referredType": "Customer"}
                ],
                "note": [{"text": "客户来电"}],
            }
            created = client.call("createTroubleTicket", body=body)
            assert created.status_code == 201, created.text
            client.validate("TroubleTicket", created.json())
            tid = created.json()["id"]
            assert created.headers["location"].endswith(f"/troubleTicket/{tid}")

            child = client.call(
                "createTroubleTicket",
                body={
                    **body,
                    "description": "派单上门",
                    "troubleTicketRelationship": [{"id": tid, "relationshipType": "isChildOf"}],
                },
            )
            assert child.status_code == 201, child.text

            lifecycle = [
                {"status": "acknowledged"},  # already: a no-op the standard allows
                {"status": "inProgress", "note": [{"text": "已联系客户"}]},
                {"status": "pending", "statusChangeReason": "等待客户在家"},
                {"status": "inProgress"},
                {"status": "resolved", "statusChangeReason": "更换机顶盒后恢复"},
                {"status": "closed"},
            ]
            for step in lifecycle:
                response = client.call("patchTroubleTicket", id=tid, body=step)
                assert response.status_code == 200, (step, response.text)
                client.validate("TroubleTicket", response.json())
                assert response.json()["status"] == step["status"]

            got = client.call("retrieveTroubleTicket", id=tid)
            ticket = got.json()
            client.validate("TroubleTicket", ticket)
            assert [s["status"] for s in ticket["statusChange"]] == [
                "acknowledged",
                "inProgress",
                "pending",
                "inProgress",
                "resolved",
                "closed",
            ]
            assert [n["text"] for n in ticket["note"]] == ["客户来电", "已联系客户"]
            assert ticket["troubleTicketRelationship"][0]["relationshipType"] == "isParentOf"

            listed = client.call("listTroubleTicket", fields="status", status="closed")
            assert listed.status_code == 200 and [t["id"] for t in listed.json()] == [tid]
            assert listed.headers["x-total-count"] == "1"
        finally:
            client.close()
