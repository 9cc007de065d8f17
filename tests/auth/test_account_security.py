"""The security probe's findings on the API: region-scoped user administration, the password policy,
and failed logins kept and counted."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from manyi.auth.models import LoginFailure
from manyi.org.models import User
from tests.api.admin_client import get, patch, post
from tests.fixtures.api import Api
from tests.fixtures.users import PASSWORD

HANGZHOU = ("330100",)


def _token(api: Api, username: str, password: str = PASSWORD) -> Any:
    return api.client.post("/api/v1/auth/token", data={"username": username, "password": password})


def _count(api: Api, model: Any, *where: Any) -> int:
    api.session.expire_all()
    count = int(api.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    api.session.rollback()  # end the read, so SQLite lets the server write
    return count


def _as(role: str, regions: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"role": role, "regions": regions}


def test_probe_a_hangzhou_admin_can_neither_create_nor_take_over_an_all_regions_admin(api: Api) -> None:
    scoped = api.headers("admin", HANGZHOU)
    api.headers("admin")  # admin_all: an all-regions administrator
    boss = api.session.scalars(select(User.id).where(User.username == "admin_all")).one()
    api.session.rollback()
    users = "/api/v1/users"

    made = api.client.post(users, json={"username": "mole", "roles": ["admin"]}, headers=scoped)
    assert made.status_code == 403, made.text
    assert "all regions" in made.json()["message"] and made.json()["message"].startswith("regions:")
    elsewhere = {"username": "mole", "roles": ["admin"], "regions": ["330200"]}
    made = api.client.post(users, json=elsewhere, headers=scoped)
    assert made.status_code == 403 and "330200" in made.json()["message"]
    assert _count(api, User, User.username == "mole") == 0

    merge = {**scoped, "Content-Type": "application/merge-patch+json"}
    for change in ({"password": "taken-over-pass-1"}, {"active": False}, {"roles": ["agent"]}):
        taken = api.client.patch(f"{users}/{boss}", json=change, headers=merge)
        assert taken.status_code == 404, (change, taken.text)  # outside their regions: as if missing
    assert api.client.get(f"{users}/{boss}", headers=scoped).status_code == 404
    assert _token(api, "admin_all").status_code == 200  # the password did not change

    # inside Hangzhou they administer as before
    made = api.client.post(
        users,
        json={"username": "xihu1", "roles": ["agent"], "regions": ["330106"], "password": "xihu-pass-12"},
        headers=scoped,
    )
    assert made.status_code == 201, made.text
    mine = made.json()["id"]
    assert api.client.patch(f"{users}/{mine}", json={"active": False}, headers=merge).status_code == 200
    widened = api.client.patch(f"{users}/{mine}", json={"regions": []}, headers=merge)
    assert widened.status_code == 403 and "all regions" in widened.json()["message"]
    moved = api.client.patch(f"{users}/{mine}", json={"regions": ["330200"]}, headers=merge)
    assert moved.status_code == 403 and "330200" in moved.json()["message"]


def test_a_scoped_admin_lists_only_users_inside_their_regions(api: Api) -> None:
    for role, regions in (("agent", ("330106",)), ("agent", ("330200",)), ("dispatcher", HANGZHOU)):
        api.headers(role, regions)
    listed = get(api, "/users", role="admin", limit=100)
    everyone = {u["username"] for u in listed.json()}
    scoped = api.client.get("/api/v1/users?limit=100", headers=api.headers("admin", HANGZHOU))
    seen = {u["username"] for u in scoped.json()}
    assert seen == {"agent_330106", "dispatcher_330100", "admin_330100"}, seen
    assert scoped.headers["x-total-count"] == "3"
    assert {"agent_330200", "admin_all", "agent1"} <= everyone - seen  # agent1 has all regions


def test_an_all_regions_admin_still_manages_everyone(api: Api) -> None:
    made = post(api, "/users", {"username": "boss2", "roles": ["admin"], "password": "boss-two-pass"})
    assert made.status_code == 201, made.text
    assert patch(api, f"/users/{made.json()['id']}", {"regions": ["330200"]}).status_code == 200


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("12345678", "at least 10 characters"),  # the probe's four
        ("password", "at least 10 characters"),
        (" " * 8, "only spaces"),
        ("\0" * 8, "control"),
        ("1234567890", "most common"),
        ("Wang.Fang-2024", "user name"),
    ],
)
def test_weak_passwords_are_refused_on_create_and_change(api: Api, password: str, rule: str) -> None:
    made = post(api, "/users", {"username": "wang.fang", "roles": ["agent"], "password": password})
    assert made.status_code == 422 and rule in made.json()["message"], made.text
    assert made.json()["message"].startswith("password:") and "密码" in made.json()["message"]
    assert _count(api, User, User.username == "wang.fang") == 0
    made = post(api, "/users", {"username": "wang.fang", "roles": ["agent"]})
    changed = patch(api, f"/users/{made.json()['id']}", {"password": password})
    assert changed.status_code == 422 and rule in changed.json()["message"]


def test_every_failed_api_login_is_kept_for_the_limit_and_the_auditor(api: Api) -> None:
    api.headers("agent")
    for _ in range(3):
        assert _token(api, "agent_all", "wrong-password").status_code == 401
    assert _token(api, "nobody-at-all", "wrong-password").status_code == 401
    assert _count(api, LoginFailure, LoginFailure.username == "agent_all") == 3
    assert _count(api, LoginFailure, LoginFailure.username == "nobody-at-all") == 1
    assert _token(api, "agent_all").status_code == 200
