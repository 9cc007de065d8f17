"""Login, tokens, API keys, revocation and failed-login limits through HTTP."""

from __future__ import annotations

from tests.fixtures.api import Api
from tests.fixtures.users import PASSWORD


def _login(api: Api, username: str, password: str) -> object:
    return api.client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_login_returns_a_bearer_token_that_identifies_the_caller(api: Api) -> None:
    api.headers("dispatcher", ("330100",))
    response = _login(api, "dispatcher_330100", PASSWORD)
    assert response.status_code == 200  # type: ignore[attr-defined]
    token = response.json()["access_token"]  # type: ignore[attr-defined]
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "dispatcher_330100"
    assert me.json()["regions"] == ["330100"]
    assert "ticket:update" in me.json()["permissions"]


def test_missing_or_wrong_credentials_get_401_in_tmf_error_shape(api: Api) -> None:
    response = api.client.get("/api/v1/auth/me")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "reason", "message", "status"} and body["status"] == "401"
    assert response.headers["www-authenticate"] == "Bearer"
    bad = api.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer mt_nonsense"})
    assert bad.status_code == 401


def test_logout_revokes_the_token_at_once(api: Api) -> None:
    headers = api.headers("agent")
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_failed_logins_are_rate_limited_per_user(api: Api) -> None:
    api.headers("agent")
    for _ in range(5):
        assert _login(api, "agent_all", "wrong-password").status_code == 401  # type: ignore[attr-defined]
    locked = _login(api, "agent_all", PASSWORD)
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert int(locked.headers["retry-after"]) > 0  # type: ignore[attr-defined]


def test_unknown_user_and_wrong_password_look_the_same(api: Api) -> None:
    api.headers("agent")
    a = _login(api, "nobody", "whatever-1")
    b = _login(api, "agent_all", "whatever-1")
    assert a.status_code == b.status_code == 401  # type: ignore[attr-defined]
    assert a.json()["message"] == b.json()["message"]  # type: ignore[attr-defined]


def test_an_api_key_authenticates_a_system(api: Api) -> None:
    response = api.client.get("/api/v1/auth/me", headers=api.api_key("cti"))
    assert response.status_code == 200
    assert response.json()["roles"] == ["system"]
