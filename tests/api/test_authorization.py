"""The authorization matrix: every endpoint × every role × in-region / out-of-region.

Expected outcomes come from the role table (manyi.auth.permissions), so the test pins that each
endpoint checks the right permission and the caller's regions: no permission → 403; out of region
→ 404 for one ticket (existence must not leak) and an empty list; otherwise success.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from manyi.app import create_app
from manyi.auth.permissions import ROLE_PERMISSIONS, ROLES
from manyi.customers.service import create_customer
from tests.fixtures.api import Api
from tests.orders.tmf.test_tickets import BASE, MERGE, new_ticket

IN_REGION = ("330100",)  # 杭州市: contains the operator's customer and tickets in 西湖区
OUT_REGION = ("330200",)  # 宁波市


@dataclass(frozen=True)
class Case:
    permission: str | None  # None: any authenticated caller
    scoped: bool  # whether the region decides between success and 404/empty
    call: Callable[[Api, dict[str, str], str], Any]  # (api, headers, ticket id) -> response
    ok: int
    out: int | None = None  # status out of region, when not the default for the method


def _list(api: Api, h: dict[str, str], _tid: str) -> Any:
    return api.client.get(BASE, headers=h)


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/auth/me"): Case(
        None, False, lambda a, h, t: a.client.get("/api/v1/auth/me", headers=h), 200
    ),
    ("POST", "/api/v1/auth/logout"): Case(
        None, False, lambda a, h, t: a.client.post("/api/v1/auth/logout", headers=h), 204
    ),
    ("GET", "/tmf-api/troubleTicket/v4/troubleTicket"): Case("ticket:read", True, _list, 200),
    ("GET", "/tmf-api/troubleTicket/v4/troubleTicket/{id}"): Case(
        "ticket:read", True, lambda a, h, t: a.client.get(f"{BASE}/{t}", headers=h), 200
    ),
    ("POST", "/tmf-api/troubleTicket/v4/troubleTicket"): Case(
        "ticket:create", True, lambda a, h, t: new_ticket(a, h), 201
    ),
    ("PATCH", "/tmf-api/troubleTicket/v4/troubleTicket/{id}"): Case(
        "ticket:update",
        True,
        lambda a, h, t: a.client.patch(
            f"{BASE}/{t}", json={"note": [{"text": "跟进"}]}, headers={**h, **MERGE}
        ),
        200,
    ),
    ("DELETE", "/tmf-api/troubleTicket/v4/troubleTicket/{id}"): Case(
        "ticket:delete", True, lambda a, h, t: a.client.delete(f"{BASE}/{t}", headers=h), 204
    ),
}
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def _customer_body(_api: Api) -> dict[str, Any]:
    return {
        "name": "赵六",
        "engagedParty": {"name": "赵六", "@referredType": "Individual"},
        "characteristic": [{"name": "brand", "value": "easyown"}],
        "region": {"id": "330106"},
    }


CASES.update(
    {
        ("GET", CUSTOMERS): Case(
            "customer:read", True, lambda a, h, t: a.client.get(CUSTOMERS, headers=h), 200, 200
        ),
        ("GET", CUSTOMERS + "/{id}"): Case(
            "customer:read",
            True,
            lambda a, h, t: a.client.get(f"{CUSTOMERS}/{a.operator.customer.id}", headers=h),
            200,
        ),
        ("POST", CUSTOMERS): Case(
            "customer:write",
            True,
            lambda a, h, t: a.client.post(CUSTOMERS, json=_customer_body(a), headers=h),
            201,
            403,
        ),
        ("GET", "/api/v1/customers/{id}/history"): Case(
            "customer:read",
            True,
            lambda a, h, t: a.client.get(f"/api/v1/customers/{a.operator.customer.id}/history", headers=h),
            200,
        ),
        ("PATCH", CUSTOMERS + "/{id}"): Case(
            "customer:write",
            True,
            lambda a, h, t: a.client.patch(
                f"{CUSTOMERS}/{a.operator.customer.id}", json={"name": "张三"}, headers={**h, **MERGE}
            ),
            200,
        ),
        ("DELETE", CUSTOMERS + "/{id}"): Case(
            "customer:delete",
            True,
            lambda a, h, t: a.client.delete(f"{CUSTOMERS}/{_orderless_customer(a)}", headers=h),
            204,
        ),
    }
)


def _orderless_customer(api: Api) -> int:
    """A customer in 西湖区 without orders, which a PIPL erasure may remove."""
    customer = create_customer(api.session, name="钱七", brand="easyown", region_code="330106")
    api.session.commit()
    return customer.id


for _base in ("/tmf-api/troubleTicket/v4", "/tmf-api/customerManagement/v4"):
    CASES[("POST", f"{_base}/hub")] = Case(
        "hub:manage",
        False,
        lambda a, h, t, b=_base: a.client.post(
            f"{b}/hub", json={"callback": "http://127.0.0.1:9/cb"}, headers=h
        ),
        201,
    )
    CASES[("DELETE", f"{_base}/hub/{{id}}")] = Case(
        "hub:manage", False, lambda a, h, t, b=_base: a.client.delete(f"{b}/hub/unknown", headers=h), 404
    )
MESSAGES = "/tmf-api/communicationManagement/v4/communicationMessage"


def _message_to_customer(api: Api) -> str:
    """An SMS to the operator's customer in 西湖区 (TMF681 reads are scoped by the customer's region)."""
    from manyi.notify.messages import queue_message

    message = queue_message(
        api.session,
        channel="sms",
        event="tmf681",
        address="13812345678",
        text=f"授权矩阵 {api.session.info.setdefault('n', 0)}",
        customer_id=api.operator.customer.id,
        urgent=True,
    )
    api.session.info["n"] += 1
    api.session.commit()
    return str(message.id)


CASES.update(
    {
        ("GET", MESSAGES): Case(
            "message:read", True, lambda a, h, t: a.client.get(MESSAGES, headers=h), 200, 200
        ),
        ("GET", MESSAGES + "/{id}"): Case(
            "message:read",
            True,
            lambda a, h, t: a.client.get(f"{MESSAGES}/{_message_to_customer(a)}", headers=h),
            200,
        ),
        ("POST", MESSAGES): Case(
            "message:send",
            True,
            lambda a, h, t: a.client.post(
                MESSAGES,
                json={
                    "content": f"矩阵 {t}",
                    "messageType": "SMS",
                    "receiver": [{"id": a.operator.customer.customer_no}],
                    "sender": {"name": "满意客服"},
                },
                headers=h,
            ),
            201,
        ),
    }
)
# Probes and metrics carry no user data; /metrics is limited by network or token instead
# (tests/ops/test_metrics.py).
PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/api/v1/schemas/ManyiTroubleTicket"),
    ("GET", "/api/v1/schemas/ManyiCustomer"),
}


def test_every_endpoint_is_in_the_matrix() -> None:
    # From the OpenAPI document: FastAPI keeps included routers as wrappers in app.routes.
    paths = create_app().openapi()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert ("GET", "/tmf-api/troubleTicket/v4/troubleTicket") in routes
    # The admin API (/api/v1 beyond auth) has its own matrix: tests/api/test_admin_access.py.
    admin = {r for r in routes if r[1].startswith("/api/v1/") and not r[1].startswith("/api/v1/auth/")}
    missing = routes - set(CASES) - PUBLIC - admin
    assert not missing, f"add these endpoints to the authorization matrix: {sorted(missing)}"


def _expected(case: Case, role: str, regions: tuple[str, ...], response: Any) -> int:
    if case.permission is not None and case.permission not in ROLE_PERMISSIONS[role]:
        return 403
    if case.scoped and regions == OUT_REGION:
        if case.out is not None:
            return case.out
        if case.ok == 201:
            return 400  # the customer is unknown to a caller outside its region (TMF: 400, not 422)
        return 200 if case.call is _list else 404
    return case.ok


@pytest.mark.parametrize("endpoint", sorted(CASES), ids=lambda e: f"{e[0]} {e[1]}")
def test_matrix(api: Api, endpoint: tuple[str, str]) -> None:
    case = CASES[endpoint]
    failures = []
    for role in ROLES:
        for regions in (IN_REGION, OUT_REGION):
            ticket = new_ticket(api).json()["id"]
            headers = api.headers(role, regions)
            response = case.call(api, headers, ticket)
            expected = _expected(case, role, regions, response)
            if response.status_code != expected:
                failures.append(
                    f"{role} {regions}: {response.status_code} (expected {expected}) {response.text[:120]}"
                )
            elif case.call is _list and expected == 200:
                visible = {t["id"] for t in response.json()}
                if (ticket in visible) != (regions == IN_REGION):
                    failures.append(f"{role} {regions}: list visibility of {ticket} wrong")
            if endpoint[1] == "/api/v1/auth/logout":
                api._tokens.pop((role, regions), None)
    assert not failures, "\n".join(failures)
