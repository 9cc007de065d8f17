"""Signing in and out, the session cookie, CSRF, language switch, landing and error pages."""

from __future__ import annotations

from sqlalchemy import select

from manyi.auth.models import ApiToken
from manyi.console.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.fixtures.console import Console, text_of
from tests.fixtures.users import PASSWORD


def _login(console: Console, username: str, password: str, *, next: str = "") -> object:
    client = console.anonymous()
    form = client.get("/login")
    token = form.cookies.get(LOGIN_CSRF_COOKIE) or client.cookies.get(LOGIN_CSRF_COOKIE)
    return client, client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next},
        follow_redirects=False,
    )


def test_login_page_is_chinese_by_default_with_labelled_inputs(console: Console) -> None:
    page = console.anonymous().get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert '<label for="username">用户名</label>' in page.text
    assert '<label for="password">密码</label>' in page.text


def test_login_sets_an_httponly_session_and_lands_on_the_role_home(console: Console) -> None:
    console.user("dispatcher")
    client, response = _login(console, "dispatcher_all", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/board"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/account").status_code == 200


def test_login_returns_to_the_page_asked_for_but_never_off_site(console: Console) -> None:
    console.user("agent")
    _, back = _login(console, "agent_all", PASSWORD, next="/account")
    assert back.headers["location"] == "/account"
    _, off_site = _login(console, "agent_all", PASSWORD, next="//evil.example/phish")
    assert off_site.headers["location"] == "/workbench"


def test_wrong_password_is_refused_in_chinese_and_sets_no_session(console: Console) -> None:
    console.user("agent")
    client, response = _login(console, "agent_all", "nope")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert SESSION_COOKIE not in client.cookies


def test_login_without_the_form_token_is_refused(console: Console) -> None:
    console.user("agent")
    response = console.anonymous().post(
        "/login", data={"username": "agent_all", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_pages_send_strangers_to_login_and_back(console: Console) -> None:
    response = console.anonymous().get("/account?tab=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account%3Ftab%3D1"


def test_a_revoked_or_forged_session_cookie_is_treated_as_logged_out(console: Console) -> None:
    stranger = console.anonymous()
    stranger.cookies.set(SESSION_COOKIE, "mt_forged")
    assert stranger.get("/account", follow_redirects=False).status_code == 303


def test_logout_needs_the_form_token_and_then_revokes_the_session(console: Console) -> None:
    agent = console.user("agent")
    forged = agent.client.post("/logout", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert "表单已过期" in text_of(forged.text)
    assert agent.get("/account").status_code == 200  # still signed in
    response = agent.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    console.session.expire_all()
    tokens = console.session.scalars(select(ApiToken).where(ApiToken.user_id == agent.user.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    console.session.rollback()  # end the read, so SQLite lets the server write
    again = agent.client
    again.cookies.set(SESSION_COOKIE, agent.secret)
    assert again.get("/account", follow_redirects=False).status_code == 303


def test_language_switch_keeps_the_page_and_shows_english(console: Console) -> None:
    agent = console.user("agent")
    agent.client.cookies.delete("manyi_lang")
    switched = agent.get("/lang/en?next=/account")
    assert switched.status_code == 303 and switched.headers["location"] == "/account"
    page = agent.get("/account")
    assert "My account" in page.text and "我的账号" not in page.text
    agent.get("/lang/zh_CN")
    assert "我的账号" in agent.get("/account").text


def test_landing_sends_each_role_to_its_home(console: Console) -> None:
    assert console.anonymous().get("/", follow_redirects=False).headers["location"] == "/login"
    homes = {"agent": "/workbench", "dispatcher": "/board", "technician": "/jobs", "auditor": "/supervisor"}
    for role, home in homes.items():
        assert console.user(role).get("/").headers["location"] == home


def test_unknown_console_page_is_an_html_404_but_the_api_keeps_json(console: Console) -> None:
    agent = console.user("agent")
    page = agent.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text
    api = agent.client.get("/tmf-api/troubleTicket/v4/no-such")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_login_in_a_real_browser(console: Console, browser) -> None:  # type: ignore[no-untyped-def]
    console.user("agent")
    page = browser.page_for()
    page.goto("/account")
    assert "/login" in page.url
    page.get_by_label("用户名").fill("agent_all")
    page.get_by_label("密码").fill(PASSWORD)
    browser.screenshot(page, "login")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/account")
    assert page.get_by_role("heading", name="我的账号").is_visible()
    browser.screenshot(page, "account")
