"""The security probe's findings on the console: the login limit (shared with the API), the same
argon2 work for unknown users, region-scoped user administration and the password policy."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from manyi.auth.models import LoginFailure
from manyi.console.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from manyi.org.models import User
from manyi.org.passwords import verify_password
from tests.fixtures.console import Console, text_of
from tests.fixtures.users import PASSWORD

HANGZHOU = ("330100",)


def _login(console: Console, username: str, password: str) -> Any:
    client = console.anonymous()
    token = client.get("/login").cookies.get(LOGIN_CSRF_COOKIE)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data, follow_redirects=False)


def _api_login(console: Console, username: str, password: str) -> int:
    response = console.anonymous().post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    return int(response.status_code)


def _failures(console: Console, username: str) -> int:
    console.session.expire_all()
    count = console.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username)
    )
    console.session.rollback()  # end the read, so SQLite lets the server write
    return int(count or 0)


def _user(console: Console, username: str) -> User | None:
    console.session.expire_all()
    user = console.session.scalars(select(User).where(User.username == username)).first()
    if user is not None:
        console.session.expunge(user)  # keeps its loaded values: the rollback below does not expire it
    console.session.rollback()
    return user


def test_probe_forty_wrong_passwords_in_the_console_lock_the_account(console: Console) -> None:
    console.user("agent")
    answers = [_login(console, "agent_all", f"wrong-{n}").status_code for n in range(40)]
    assert answers == [401] * 5 + [429] * 35  # before: forty times 401
    assert _failures(console, "agent_all") == 5  # before: none kept (rolled back with the request)
    locked = _login(console, "agent_all", PASSWORD)
    assert locked.status_code == 429 and SESSION_COOKIE not in locked.headers.get("set-cookie", "")
    assert int(locked.headers["retry-after"]) == 15 * 60
    assert "登录失败次数过多，请 15 分钟后再试。" in text_of(locked.text)


def test_console_and_api_failures_count_towards_one_limit(console: Console) -> None:
    console.user("agent")
    for _ in range(3):
        assert _api_login(console, "agent_all", "wrong-password") == 401
    for _ in range(2):
        assert _login(console, "agent_all", "wrong-password").status_code == 401
    assert _api_login(console, "agent_all", PASSWORD) == 429
    assert _login(console, "agent_all", PASSWORD).status_code == 429


def test_unknown_users_cost_the_console_one_argon2_check_too(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    console.user("agent")
    made: list[str] = []
    real = PasswordHasher.verify

    def spy(self: PasswordHasher, password_hash: str | bytes, password: str | bytes) -> bool:
        made.append(str(password_hash))
        return real(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    for username in ("nobody", "agent_all"):
        made.clear()
        assert _login(console, username, "wrong-password").status_code == 401
        assert len(made) == 1, username


def test_probe_a_hangzhou_admin_cannot_see_or_take_over_an_all_regions_admin(console: Console) -> None:
    boss = console.user("admin").user.id
    scoped = console.user("admin", HANGZHOU)
    listed = text_of(scoped.get("/admin/users").text)
    assert "admin_330100" in listed and "admin_all" not in listed and "agent1" not in listed
    assert scoped.get(f"/admin/users/{boss}").status_code == 404
    reset = scoped.post(
        f"/admin/users/{boss}/password", data={"password": "taken-over-1", "confirm": "taken-over-1"}
    )
    assert reset.status_code == 404
    edit = scoped.post(
        f"/admin/users/{boss}", data={"display_name": "x", "roles": ["agent"], "regions": "330106"}
    )
    assert edit.status_code == 404
    stored = _user(console, "admin_all")
    assert stored is not None and stored.active and stored.roles == ["admin"]
    assert stored.password_hash and verify_password(stored.password_hash, PASSWORD)


def test_a_hangzhou_admin_grants_only_their_own_regions(console: Console) -> None:
    scoped = console.user("admin", HANGZHOU)
    form = scoped.get("/admin/users/new").text
    assert "须在您所辖区域之内" in form
    # The region picker offers what /regions/options answers: only the caller's own regions.
    offered = {r["code"] for r in scoped.get("/regions/options?q=33").json()}
    assert offered == {"330100", "330106"}  # not the province, not 宁波 330200
    everything = {r["code"] for r in console.user("admin").get("/regions/options?q=33").json()}
    assert everything == {"330000", "330100", "330106", "330200"}

    data = {"username": "mole", "roles": ["admin"], "password": "burrow-pass-77"}
    all_regions = scoped.post("/admin/users/new", data=data)
    assert all_regions.status_code == 403 and 'id="regions-error"' in all_regions.text
    assert "请至少选择一个区域：您的账号并不负责全部区域。" in text_of(all_regions.text)
    ningbo = scoped.post("/admin/users/new", data={**data, "regions": ["330200"]})
    assert ningbo.status_code == 403 and "您不能授予区域 330200：它不在您所辖的区域内。" in text_of(
        ningbo.text
    )
    assert _user(console, "mole") is None

    made = scoped.post("/admin/users/new", data={**data, "regions": ["330106"]})
    assert made.status_code == 303, made.text
    mole = _user(console, "mole")
    assert mole is not None and mole.regions == ["330106"] and mole.roles == ["admin"]
    widened = scoped.post(
        f"/admin/users/{mole.id}", data={"display_name": "m", "roles": ["admin"], "active": "1"}
    )
    assert widened.status_code == 403 and 'id="regions-error"' in widened.text
    assert _user(console, "mole").regions == ["330106"]  # type: ignore[union-attr]


def test_a_reader_without_config_write_sees_no_role_beyond_their_own_in_the_filter(console: Console) -> None:
    page = console.user("supervisor").get("/admin/users").text
    roles = set(_options(page, "role")) - {""}
    assert "admin" not in roles and "supervisor" in roles and "inspector" in roles


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "密码至少需要 10 个字符。"),  # the probe's four
        ("password", "密码至少需要 10 个字符。"),
        (" " * 8, "密码不能全是空格。"),
        ("\0" * 8, "密码不能包含控制字符或不可见字符。"),
        ("1234567890", "该密码属于最常见的密码，请换一个。"),
        ("wang.fang.2024", "密码不能是用户名，也不能包含用户名。"),
    ],
)
def test_weak_passwords_are_refused_in_chinese_naming_the_rule(
    console: Console, password: str, message: str
) -> None:
    admin = console.user("admin")
    new = admin.post(
        "/admin/users/new", data={"username": "wang.fang", "roles": ["agent"], "password": password}
    )
    assert new.status_code == 422 and 'id="password-error"' in new.text
    assert message in text_of(new.text)
    assert _user(console, "wang.fang") is None
    target = console.user("agent", username="wang.fang").user.id
    console.session.rollback()
    reset = admin.post(f"/admin/users/{target}/password", data={"password": password, "confirm": password})
    assert reset.status_code == 422 and message in text_of(reset.text)
    stored = _user(console, "wang.fang")
    assert stored is not None and stored.password_hash and verify_password(stored.password_hash, PASSWORD)


def _options(html: str, name: str) -> list[str]:
    """The option values of the select called `name`."""
    import re

    found = re.search(rf'<select id="{name}" name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, name
    return re.findall(r'<option value="([^"]*)"', found.group(1))
