"""Admin API: teams and users — create, change, ETags; a disabled or re-roled user's token stops working."""

from __future__ import annotations

from typing import Any

from tests.api.admin_client import get, patch, post
from tests.fixtures.api import Api

PASSWORD = "s3cret-pass-1"


def _login(api: Api, username: str, password: str = PASSWORD) -> Any:
    return api.client.post("/api/v1/auth/token", data={"username": username, "password": password})


def _me(api: Api, token: str) -> int:
    return int(api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code)


def test_teams_list_create_and_change(api: Api) -> None:
    listed = get(api, "/teams", role="branch_manager")
    assert listed.status_code == 200 and [t["name"] for t in listed.json()] == ["后台受理组", "西湖装维班"]
    field = next(t for t in listed.json() if t["name"] == "西湖装维班")
    assert field["memberCount"] == 3 and field["department"]["name"] == "装维中心"
    body = {
        "name": "拱墅装维班",
        "department": {"id": field["department"]["id"]},
        "regionCode": "330100",
        "lead": {"id": str(api.operator.techs[0].id)},
        "calendar": "24x7",
    }
    created = post(api, "/teams", body)
    assert created.status_code == 201, created.text
    team = created.json()
    assert created.headers["location"] == team["href"]
    assert team["lead"]["name"] == "装维1" and team["calendar"] == "24x7" and team["memberCount"] == 0
    assert post(api, "/teams", body).status_code == 409

    etag = created.headers["etag"]
    renamed = patch(api, f"/teams/{team['id']}", {"name": "拱墅装维二班", "lead": None}, if_match=etag)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "拱墅装维二班" and renamed.json()["lead"] is None
    assert patch(api, f"/teams/{team['id']}", {"calendar": None}, if_match=etag).status_code == 412
    assert get(api, f"/teams/{team['id']}").headers["etag"] == renamed.headers["etag"]
    assert get(api, "/teams", name="拱墅装维二班").headers["x-total-count"] == "1"

    for bad, status, word in [
        ({**body, "name": "a", "department": {"id": "999"}}, 422, "department"),
        ({**body, "name": "b", "regionCode": "999999"}, 422, "regionCode"),
        ({**body, "name": "c", "calendar": "mars"}, 422, "calendar"),
        ({**body, "name": "d", "lead": {"id": "999999"}}, 422, "lead"),
        ({**body, "name": "e", "memberCount": 3}, 400, "read-only"),
    ]:
        response = post(api, "/teams", bad)
        assert response.status_code == status and word in response.json()["message"], response.text
    assert patch(api, f"/teams/{team['id']}", {"department": None}).status_code == 400
    assert post(api, "/teams", {**body, "name": "f"}, role="dispatcher").status_code == 403
    assert get(api, "/teams/999999").status_code == 404


def test_users_create_login_change_roles_and_disable(api: Api) -> None:
    body = {
        "username": "zhangwei",
        "displayName": "张伟",
        "roles": ["dispatcher"],
        "regions": ["330100"],
        "team": {"id": str(api.operator.back_office.id)},
        "phone": "13812345678",
        "email": "zhangwei@example.cn",
        "password": PASSWORD,
    }
    created = post(api, "/users", body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert "password" not in user and "passwordHash" not in user and user["hasPassword"]
    assert user["team"]["name"] == "后台受理组" and user["phone"] == "13812345678"
    assert created.headers["location"] == user["href"] and created.headers["etag"] == '"1"'
    assert post(api, "/users", body).status_code == 409

    token = _login(api, "zhangwei").json()["access_token"]
    assert _me(api, token) == 200
    changed = patch(api, f"/users/{user['id']}", {"roles": ["dispatcher", "supervisor"]}, if_match='"1"')
    assert changed.status_code == 200, changed.text
    assert changed.json()["roles"] == ["dispatcher", "supervisor"] and changed.json()["revokedTokens"] == 1
    assert changed.headers["etag"] == '"2"'
    assert _me(api, token) == 401  # roles changed: log in again
    assert patch(api, f"/users/{user['id']}", {"displayName": "张 伟"}, if_match='"1"').status_code == 412

    token = _login(api, "zhangwei").json()["access_token"]
    same = patch(api, f"/users/{user['id']}", {"displayName": "张伟伟", "skills": ["broadband"]})
    assert same.json()["revokedTokens"] == 0 and _me(api, token) == 200
    disabled = patch(api, f"/users/{user['id']}", {"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert _me(api, token) == 401
    assert _login(api, "zhangwei").status_code == 401
    enabled = patch(api, f"/users/{user['id']}", {"active": True, "password": "another-pass-2"})
    assert enabled.status_code == 200
    assert (
        _login(api, "zhangwei").status_code == 401
        and _login(api, "zhangwei", "another-pass-2").status_code == 200
    )


def test_user_listing_masks_phones_and_never_shows_hashes(api: Api) -> None:
    assert (
        post(api, "/users", {"username": "li", "roles": ["agent"], "phone": "13912345678"}).status_code == 201
    )
    as_inspector = get(api, "/users", role="inspector", username="li").json()
    assert as_inspector[0]["phone"] == "139****5678" and not as_inspector[0]["hasPassword"]
    by_role = api.client.get("/api/v1/users?role=admin,branch_manager", headers=api.headers("admin"))
    assert [u["username"] for u in by_role.json()] == ["admin_all"]
    unknown = api.client.get("/api/v1/users?role=wizard", headers=api.headers("admin"))
    assert unknown.status_code == 400 and "wizard" in unknown.json()["message"]
    every = get(api, "/users").json()
    assert every and all("passwordHash" not in u and "password" not in u for u in every)
    assert [u["username"] for u in every] == sorted(u["username"] for u in every)


def test_bad_users_and_self_changes_are_refused(api: Api) -> None:
    for body, status, word in [
        ({"username": "a b", "roles": ["agent"]}, 422, "username"),
        ({"username": "ab", "roles": ["wizard"]}, 422, "role"),
        ({"username": "ab", "roles": []}, 400, "roles"),
        ({"username": "ab", "roles": ["agent"], "regions": ["999999"]}, 422, "region"),
        ({"username": "ab", "roles": ["agent"], "password": "short"}, 422, "password"),
        ({"username": "ab", "roles": ["agent"], "team": {"id": "999"}}, 422, "team"),
        ({"username": "ab", "roles": ["agent"], "passwordHash": "x"}, 400, "passwordHash"),
    ]:
        response = post(api, "/users", body)
        assert response.status_code == status and word in response.json()["message"], (body, response.text)
    me = get(api, "/users", username="admin_all").json()[0]
    for change in ({"roles": ["agent"]}, {"active": False}, {"regions": ["330100"]}):
        response = patch(api, f"/users/{me['id']}", change)
        assert response.status_code == 422 and "your own" in response.json()["message"], response.text
    assert patch(api, f"/users/{me['id']}", {"username": "root"}).status_code == 400
    assert patch(api, f"/users/{me['id']}", {"displayName": "管理员"}).status_code == 200
    assert post(api, "/users", {"username": "x", "roles": ["admin"]}, role="supervisor").status_code == 403
    assert patch(api, f"/users/{me['id']}", {"displayName": "x"}, role="auditor").status_code == 403
