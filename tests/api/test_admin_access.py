"""Every admin endpoint × every role: config:read lets a role read, config:write (admin) change;
anyone else gets 403, and nobody unauthenticated gets past 401."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from manyi.app import create_app
from manyi.auth.permissions import ROLE_PERMISSIONS, ROLES
from manyi.calendars.service import set_override
from manyi.orders.routing import create_rule
from tests.api.admin_client import MERGE
from tests.fixtures.api import Api

ADMIN_PREFIXES = (
    "/api/v1/slaPolicies",
    "/api/v1/calendars",
    "/api/v1/routingRules",
    "/api/v1/teams",
    "/api/v1/users",
)
EXAMPLE_2027 = (Path(__file__).parents[2] / "docs" / "examples" / "2027.yaml").read_text(encoding="utf-8")
_unique = itertools.count()
Call = Callable[[Api, dict[str, str], dict[str, str]], Any]  # (api, headers, ids) -> response


def _name(prefix: str) -> str:
    return f"{prefix}{next(_unique)}"


def _get(path: str) -> Call:
    return lambda a, h, ids: a.client.get(path.format(**ids), headers=h)


def _send(
    method: str, path: str, body: Callable[[dict[str, str]], Any], media: str = "application/json"
) -> Call:
    def call(a: Api, h: dict[str, str], ids: dict[str, str]) -> Any:
        return a.client.request(
            method, path.format(**ids), json=body(ids), headers={**h, "Content-Type": media}
        )

    return call


def _target(ids: dict[str, str]) -> list[dict[str, Any]]:
    return [{"kind": "resolution", "amount": 1, "unit": "working_days"}]


READ, WRITE = "config:read", "config:write"
CASES: dict[tuple[str, str], tuple[str, Call, int]] = {
    ("GET", "/api/v1/slaPolicies"): (READ, _get("/api/v1/slaPolicies"), 200),
    ("GET", "/api/v1/slaPolicies/{id}"): (READ, _get("/api/v1/slaPolicies/{policy}"), 200),
    ("POST", "/api/v1/slaPolicies"): (
        WRITE,
        _send("POST", "/api/v1/slaPolicies", lambda ids: {"name": _name("p"), "targets": _target(ids)}),
        201,
    ),
    ("PATCH", "/api/v1/slaPolicies/{id}"): (
        WRITE,
        _send("PATCH", "/api/v1/slaPolicies/{policy}", lambda ids: {"rank": 100}, MERGE["Content-Type"]),
        200,
    ),
    ("GET", "/api/v1/calendars"): (READ, _get("/api/v1/calendars"), 200),
    ("POST", "/api/v1/calendars"): (
        WRITE,
        _send("POST", "/api/v1/calendars", lambda ids: {"name": _name("c"), "kind": "always"}),
        201,
    ),
    ("GET", "/api/v1/calendars/{name}"): (READ, _get("/api/v1/calendars/office"), 200),
    ("GET", "/api/v1/calendars/schedule/{year}"): (READ, _get("/api/v1/calendars/schedule/2026"), 200),
    ("PUT", "/api/v1/calendars/schedule/{year}"): (
        WRITE,
        lambda a, h, ids: a.client.put(
            "/api/v1/calendars/schedule/2027",
            content=EXAMPLE_2027.encode(),
            headers={**h, "Content-Type": "application/yaml"},
        ),
        200,
    ),
    ("PUT", "/api/v1/calendars/{name}/overrides/{day}"): (
        WRITE,
        _send("PUT", "/api/v1/calendars/office/overrides/2026-12-12", lambda ids: {"working": True}),
        200,
    ),
    ("DELETE", "/api/v1/calendars/{name}/overrides/{day}"): (
        WRITE,
        lambda a, h, ids: a.client.delete("/api/v1/calendars/office/overrides/2026-12-13", headers=h),
        200,
    ),
    ("GET", "/api/v1/calendars/{name}/add"): (
        READ,
        _get("/api/v1/calendars/office/add?start=2026-11-20T17:30:00%2B08:00&workingHours=2"),
        200,
    ),
    ("GET", "/api/v1/calendars/{name}/between"): (
        READ,
        _get("/api/v1/calendars/office/between?start=2026-11-20T17:30:00Z&end=2026-11-23T17:30:00Z"),
        200,
    ),
    ("GET", "/api/v1/routingRules"): (READ, _get("/api/v1/routingRules"), 200),
    ("GET", "/api/v1/routingRules/{id}"): (READ, _get("/api/v1/routingRules/{rule}"), 200),
    ("POST", "/api/v1/routingRules"): (
        WRITE,
        _send("POST", "/api/v1/routingRules", lambda ids: {"team": {"id": ids["team"]}}),
        201,
    ),
    ("PATCH", "/api/v1/routingRules/{id}"): (
        WRITE,
        _send("PATCH", "/api/v1/routingRules/{rule}", lambda ids: {"rank": 5}, MERGE["Content-Type"]),
        200,
    ),
    ("DELETE", "/api/v1/routingRules/{id}"): (
        WRITE,
        lambda a, h, ids: a.client.delete(f"/api/v1/routingRules/{ids['rule']}", headers=h),
        204,
    ),
    ("GET", "/api/v1/teams"): (READ, _get("/api/v1/teams"), 200),
    ("GET", "/api/v1/teams/{id}"): (READ, _get("/api/v1/teams/{team}"), 200),
    ("POST", "/api/v1/teams"): (
        WRITE,
        _send(
            "POST", "/api/v1/teams", lambda ids: {"name": _name("t"), "department": {"id": ids["department"]}}
        ),
        201,
    ),
    ("PATCH", "/api/v1/teams/{id}"): (
        WRITE,
        _send("PATCH", "/api/v1/teams/{team}", lambda ids: {"calendar": "office"}, MERGE["Content-Type"]),
        200,
    ),
    ("GET", "/api/v1/users"): (READ, _get("/api/v1/users"), 200),
    ("GET", "/api/v1/users/{id}"): (READ, _get("/api/v1/users/{user}"), 200),
    ("POST", "/api/v1/users"): (
        WRITE,
        _send("POST", "/api/v1/users", lambda ids: {"username": _name("u"), "roles": ["agent"]}),
        201,
    ),
    ("PATCH", "/api/v1/users/{id}"): (
        WRITE,
        _send("PATCH", "/api/v1/users/{user}", lambda ids: {"skills": ["iptv"]}, MERGE["Content-Type"]),
        200,
    ),
}


def test_every_admin_route_is_in_the_matrix() -> None:
    # From the OpenAPI document: this FastAPI keeps included routers as wrappers in app.routes.
    paths = create_app().openapi()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(ADMIN_PREFIXES)
        for method in operations
    }
    assert routes == set(CASES)


def _ids(api: Api) -> dict[str, str]:
    session = api.session
    rule = create_rule(session, team_id=api.operator.back_office.id, rank=50)
    set_override(session, calendar_name="office", day=date(2026, 12, 13), working=True)
    session.commit()
    policy = api.client.get("/api/v1/slaPolicies?limit=1", headers=api.headers("admin")).json()[0]
    return {
        "policy": policy["id"],
        "rule": str(rule.id),
        "team": str(api.operator.back_office.id),
        "department": str(api.operator.back_office.department_id),
        "user": str(api.operator.agent.id),
    }


@pytest.mark.parametrize("endpoint", sorted(CASES), ids=lambda e: f"{e[0]} {e[1]}")
def test_matrix(api: Api, endpoint: tuple[str, str]) -> None:
    permission, call, ok = CASES[endpoint]
    ids = _ids(api)
    assert call(api, {}, ids).status_code == 401
    failures = []
    # admin last: its write may delete what the others are refused to touch
    for role in sorted(ROLES, key=lambda r: r == "admin"):
        response = call(api, api.headers(role), ids)
        expected = ok if permission in ROLE_PERMISSIONS[role] else 403
        if response.status_code != expected:
            failures.append(f"{role}: {response.status_code} (expected {expected}) {response.text[:160]}")
    assert not failures, "\n".join(failures)
