"""Red/blue list changes and the customer's audited history over HTTP (seed 000: red-list data edits
are audited; 001: the blue list of unreasonable repeated complainers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.customers.models import Customer, CustomerEvent
from tests.customers.test_customers import BASE, MERGE, new_customer
from tests.fixtures.api import Api

HISTORY = "/api/v1/customers/{}/history"


def _patch(api: Api, cid: str, role: str, body: dict[str, Any]) -> Any:
    return api.client.patch(f"{BASE}/{cid}", json=body, headers={**api.headers(role), **MERGE})


def _flag(value: str | None, reason: str | None = None) -> dict[str, Any]:
    chars: list[dict[str, Any]] = [{"name": "listFlag", "value": value}]
    if reason is not None:
        chars.append({"name": "listFlagReason", "value": reason})
    return {"characteristic": chars}


def _history(api: Api, cid: str, role: str = "agent", **params: Any) -> Any:
    return api.client.get(HISTORY.format(cid), params=params, headers=api.headers(role))


def _stored_flag(api: Api, cid: str) -> str | None:
    flag = api.session.scalar(select(Customer.list_flag).where(Customer.id == int(cid)))
    api.session.commit()
    return flag


def test_red_and_blue_list_changes_need_the_list_permission_and_a_reason(api: Api) -> None:
    cid = new_customer(api).json()["id"]
    events = len(_history(api, cid).json())
    refused = _patch(api, cid, "agent", _flag("red", "重要客户"))
    assert refused.status_code == 403 and "customer:flag" in refused.json()["message"]
    no_reason = _patch(api, cid, "supervisor", _flag("red"))
    assert no_reason.status_code == 400 and no_reason.json()["message"].startswith("listFlagReason:")
    assert _stored_flag(api, cid) is None and len(_history(api, cid).json()) == events
    assert _patch(api, cid, "supervisor", _flag("red", "省公司重要客户")).status_code == 200
    # The complaint experts keep the blue list; they may not change other data.
    blue = _patch(api, cid, "complaint_handler", _flag("blue", "半年内无理重复投诉 6 次"))
    assert blue.status_code == 200, blue.text
    assert _patch(api, cid, "complaint_handler", {"name": "改名"}).status_code == 403
    cleared = _patch(api, cid, "supervisor", _flag(None, "复核后移出蓝名单"))
    assert cleared.status_code == 200 and _stored_flag(api, cid) is None
    flags = [
        (e["author"], e["changes"], e["reason"])
        for e in _history(api, cid).json()
        if e["action"] == "updated"
    ]
    assert flags == [
        ("supervisor_all", [{"field": "list_flag", "before": "blue", "after": None}], "复核后移出蓝名单"),
        (
            "complaint_handler_all",
            [{"field": "list_flag", "before": "red", "after": "blue"}],
            "半年内无理重复投诉 6 次",
        ),
        ("supervisor_all", [{"field": "list_flag", "before": None, "after": "red"}], "省公司重要客户"),
    ]


def test_a_customer_created_on_a_list_needs_the_right_and_a_reason_too(api: Api) -> None:
    flagged = {"characteristic": [{"name": "brand", "value": "gotone"}, {"name": "listFlag", "value": "red"}]}
    assert new_customer(api, "agent", **flagged).status_code == 403
    with_reason = {
        "characteristic": [
            {"name": "brand", "value": "gotone"},
            {"name": "listFlag", "value": "red"},
            {"name": "listFlagReason", "value": "人大代表"},
        ]
    }
    created = new_customer(api, "admin", **with_reason)
    assert created.status_code == 201, created.text
    (event,) = _history(api, created.json()["id"]).json()
    assert event["action"] == "created" and event["reason"] == "人大代表" and event["author"] == "admin_all"
    assert {"field": "list_flag", "before": None, "after": "red"} in event["changes"]


def test_every_customer_change_is_an_audited_event_with_pii_masked_per_role(api: Api) -> None:
    cid = new_customer(api).json()["id"]
    moved = _patch(
        api,
        cid,
        "agent",
        {
            "contactMedium": [{"mediumType": "mobile", "characteristic": {"phoneNumber": "13700001111"}}],
            "region": {"id": "330100"},
            "name": "李四",  # unchanged: not an event entry
        },
    )
    assert moved.status_code == 200
    agent_view = _history(api, cid).json()
    assert [e["action"] for e in agent_view] == ["updated", "created"]  # newest first
    assert agent_view[0]["author"] == "agent_all" and agent_view[0]["date"].endswith("Z")
    assert agent_view[0]["changes"] == [
        {"field": "phone", "before": "13912345678", "after": "13700001111"},
        {"field": "region_code", "before": "330106", "after": "330100"},
    ]
    created = {c["field"]: c["after"] for c in agent_view[1]["changes"]}
    assert created["id_number"] == "330106********123X"  # stored masked, even for pii:read
    inspector_view = _history(api, cid, "inspector").json()
    assert inspector_view[0]["changes"][0] == {
        "field": "phone",
        "before": "139****5678",
        "after": "137****1111",
    }
    stored = api.session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == int(cid))).all()
    api.session.commit()
    assert all("33010619900101123X" not in str(e.changes) for e in stored)
    page = _history(api, cid, limit=1, offset=1)
    assert page.headers["x-total-count"] == "2" and [e["action"] for e in page.json()] == ["created"]


def test_history_is_region_scoped(api: Api) -> None:
    cid = new_customer(api).json()["id"]
    far = api.client.get(HISTORY.format(cid), headers=api.headers("agent", ("330200",)))
    assert far.status_code == 404
    assert api.client.get(HISTORY.format("x1"), headers=api.headers()).status_code == 404
    assert api.client.get(HISTORY.format(cid), headers=api.headers("agent", ("330100",))).status_code == 200
