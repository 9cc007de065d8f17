"""Helpers for the admin API tests: JSON and merge-patch calls as a given role, and tickets."""

from __future__ import annotations

from typing import Any

from tests.fixtures.api import Api
from tests.orders.tmf.test_tickets import BASE as TICKETS
from tests.orders.tmf.test_tickets import new_ticket

V1 = "/api/v1"
MERGE = {"Content-Type": "application/merge-patch+json"}

__all__ = ["TICKETS", "V1", "MERGE", "get", "post", "patch", "ticket", "new_ticket"]


def get(api: Api, path: str, role: str = "admin", **params: Any) -> Any:
    return api.client.get(V1 + path, params=params, headers=api.headers(role))


def post(api: Api, path: str, body: Any, role: str = "admin") -> Any:
    return api.client.post(V1 + path, json=body, headers=api.headers(role))


def patch(api: Api, path: str, body: Any, role: str = "admin", if_match: str | None = None) -> Any:
    match = {"If-Match": if_match} if if_match is not None else {}
    return api.client.patch(V1 + path, json=body, headers={**api.headers(role), **MERGE, **match})


def ticket(api: Api, number: str) -> Any:
    response = api.client.get(f"{TICKETS}/{number}", headers=api.headers("agent"))
    assert response.status_code == 200, response.text
    return response.json()
