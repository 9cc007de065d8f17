"""Console fixtures: signed-in HTTP clients of any role (fast checks of pages, rights and forms) and,
where Chromium is installed, a real browser against a live server (screenshots under
test-artifacts/screenshots/). MANYI_REQUIRE_BROWSER=1 (set by .ci/run) makes a missing Chromium an
error instead of a skip."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from manyi.app import create_app
from manyi.auth.service import issue_token
from manyi.console.session import CSRF_FIELD, SESSION_COOKIE, csrf_for
from manyi.orders.models import WorkOrder
from manyi.orders.service import create_order
from manyi.org.models import User
from manyi.org.passwords import hash_password
from manyi.org.service import create_user
from tests.api.live import live_server
from tests.conftest import pg_ok
from tests.operator_fixture import Operator

PASSWORD = "correct-horse-9"
PASSWORD_HASH = hash_password(PASSWORD)
REQUIRE_BROWSER = os.environ.get("MANYI_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WEST_LAKE = ("330106",)  # 西湖区, the test customer's district: the regions of staff who see its orders


@dataclass
class Staff:
    """A signed-in staff member: an HTTP client carrying the session cookie, and the form token."""

    user: User
    client: TestClient
    secret: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.secret)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST a form with the session's CSRF token, without following the redirect."""
        return self.client.post(
            url, data={CSRF_FIELD: self.csrf, **(data or {})}, follow_redirects=False, **kwargs
        )

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, follow_redirects=False, **kwargs)


@dataclass
class Console:
    session: Session
    operator: Operator
    app: Any
    _staff: dict[tuple[str, tuple[str, ...], str], Staff] = field(default_factory=dict)

    def user(
        self,
        role: str = "agent",
        regions: tuple[str, ...] = (),
        *,
        username: str | None = None,
        team_id: int | None = None,
        lang: str = "zh_CN",
    ) -> Staff:
        """A staff member of that role (and regions), signed in; created on first use."""
        name = username or f"{role}_{'_'.join(regions) or 'all'}"
        key = (name, regions, lang)
        if key not in self._staff:
            user = self.session.query(User).filter_by(username=name).one_or_none()
            if user is None:
                user = create_user(
                    self.session,
                    username=name,
                    roles=[role],
                    regions=list(regions),
                    team_id=team_id if team_id is not None else self.operator.back_office.id,
                )
                user.password_hash = PASSWORD_HASH  # argon2 is slow by design: hash once per run
            secret, _ = issue_token(self.session, user_id=user.id)
            self.session.commit()
            client = TestClient(self.app)
            client.cookies.set(SESSION_COOKIE, secret)
            client.cookies.set("manyi_lang", lang)
            self._staff[key] = Staff(user, client, secret)
        return self._staff[key]

    def anonymous(self) -> TestClient:
        return TestClient(self.app)


@pytest.fixture
def console(session: Session, operator: Operator) -> Iterator[Console]:
    session.commit()
    app = create_app()
    yield Console(session, operator, app)


def text_of(html: str) -> str:
    """The visible text of a page, tags dropped and whitespace folded (for assertions on wording)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def new_order(
    console: Console, *, type: str = "fault", region: str = WEST_LAKE[0], **given: Any
) -> WorkOrder:
    """Create and commit an order of the operator's customer about their broadband line, by their agent."""
    # `given` adds to or overrides create_order's arguments: parent_id, at, another customer_id, or
    # subscription_id=None for an order about no line in particular.
    op = console.operator
    arguments: dict[str, Any] = {
        "customer_id": op.customer.id,
        "subscription_id": op.broadband.id,
        "actor_id": op.agent.id,
        **given,
    }
    order = create_order(
        console.session,
        type=type,
        description="宽带无法上网",
        channel="hotline",
        region_code=region,
        **arguments,
    )
    console.session.commit()
    return order


# --- the browser -------------------------------------------------------------------------------


@dataclass
class Browser:
    """A live server plus Chromium: `page_for(staff)` opens a tab signed in as that staff member."""

    base_url: str
    chromium: Any
    contexts: list[Any] = field(default_factory=list)

    def page_for(self, staff: Staff | None = None, *, lang: str = "zh_CN", mobile: bool = False) -> Any:
        options: dict[str, Any] = {
            "base_url": self.base_url,
            "locale": "zh-CN" if lang == "zh_CN" else "en-US",
        }
        if mobile:
            options.update(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        context = self.chromium.new_context(**options)
        cookies = [{"name": "manyi_lang", "value": lang, "url": self.base_url}]
        if staff is not None:
            cookies.append({"name": SESSION_COOKIE, "value": staff.secret, "url": self.base_url})
        context.add_cookies(cookies)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context.new_page()

    @staticmethod
    def screenshot(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser(console: Console, chromium: Any, engine: Engine) -> Iterator[Browser]:
    # Chromium is the slow part of the suite: where PostgreSQL is reachable the browser tests run
    # there only (every page's behaviour on SQLite is covered by the HTTP tests); without it, here.
    if engine.dialect.name == "sqlite" and pg_ok():
        pytest.skip("browser tests run on PostgreSQL when it is reachable; the HTTP tests cover SQLite")
    with live_server() as base_url:
        b = Browser(base_url, chromium)
        yield b
        for context in b.contexts:
            context.close()
