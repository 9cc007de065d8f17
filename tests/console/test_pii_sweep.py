"""PII sweep of the console: every page a role without pii:read can open, for a customer whose phone,
ID number and mobile lines are known (and typed into orders' free text), never shows a full number;
and such a role cannot search by one (workbench lookup, order search)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from manyi.categories.models import Category
from manyi.console.app import PAGE_ROUTERS
from manyi.console.pages import PAGES
from manyi.orders.models import RoutingRule, WorkOrder
from manyi.sla.models import SlaPolicy
from tests.fixtures.console import Console, text_of
from tests.fixtures.pii import ID_NUMBER, NO_PII_ROLES, PHONE, SECOND_LINE, PiiWorld, seed_pii

# Downloads of uploaded files: their bytes are what was uploaded (a photo, a scan), not a page.
NOT_PAGES = {"/orders/{number}/attachments/{attachment_id}"}
REFUSED = "您的角色无权按完整的手机号码或证件号码查询"


def _routes(router: Any) -> Iterator[APIRoute]:
    for route in router.routes:
        if isinstance(route, APIRoute):
            yield route
        elif getattr(route, "original_router", None) is not None:
            yield from _routes(route.original_router)


def console_pages() -> list[str]:
    """Every GET path of the console, as declared by its page routers."""
    paths = {r.path for router in [*PAGE_ROUTERS, *PAGES] for r in _routes(router) if "GET" in r.methods}
    assert "/workbench/customer/{customer_id}" in paths and "/orders/{number}" in paths
    return sorted(paths - NOT_PAGES)


@pytest.fixture
def world(console: Console) -> PiiWorld:
    return seed_pii(console.session, console.operator)


def _urls(console: Console, world: PiiWorld) -> list[str]:
    s, op = console.session, console.operator
    values = {
        "number": [world.mobile_order.number, world.broadband_order.number],
        "customer_id": [world.customer_id],
        "order_id": [world.broadband_order.id],
        "user_id": [op.agent.id],
        "team_id": [op.field_team.id],
        "rule_id": [s.scalars(select(RoutingRule.id)).first()],
        "policy_id": [s.scalars(select(SlaPolicy.id)).first()],
        "category_id": [s.scalars(select(Category.id)).first()],
        "name": ["office"],
        "locale": ["zh_CN"],
    }
    s.commit()
    urls = []
    for path in console_pages():
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        unknown = [n for n in names if n not in values]
        assert not unknown, f"{path}: give the sweep a value for {unknown}"
        filled = [path]
        for name in names:
            filled = [u.replace(f"{{{name}}}", str(v)) for u in filled for v in values[name]]
        urls += filled
    return urls + [
        "/workbench?q=张三",
        f"/workbench/new?customer={world.customer_id}",
        "/orders?q=张三",
        "/orders?q=KD0571001",
        "/orders?status=pending",
    ]


@pytest.mark.parametrize("role", NO_PII_ROLES)
def test_no_page_shows_a_full_phone_or_id_number_without_pii(
    console: Console, world: PiiWorld, role: str
) -> None:
    staff = console.user(role)
    opened = []
    for url in _urls(console, world):
        response = staff.client.get(url, follow_redirects=True)
        for secret in PiiWorld.secrets():
            assert secret not in response.text, f"{role} sees {secret} on {url} ({response.status_code})"
        if response.status_code == 200:
            opened.append(url)
    # The sweep reached the pages that show the customer and their orders (not only refusals).
    for order in (world.mobile_order, world.broadband_order):
        assert f"/orders/{order.number}" in opened
        assert "138****5678" in staff.get(f"/orders/{order.number}").text
    if role == "partner":  # the one of these roles the workbench is for
        panel = staff.get(f"/workbench/customer/{world.customer_id}").text
        assert "139****4321" in panel and "KD0571001" in panel and "张三" in panel


def test_a_role_with_pii_sees_the_numbers(console: Console, world: PiiWorld) -> None:
    """The sweep above is not vacuous: the same pages show the numbers to an agent."""
    agent = console.user("agent")
    panel = text_of(agent.get(f"/workbench/customer/{world.customer_id}").text)
    assert PHONE in panel and SECOND_LINE in panel
    order = agent.get(f"/orders/{world.mobile_order.number}").text
    assert ID_NUMBER in order and "138-1234-5678" in order and "139 8765 4321" in order
    assert PHONE in agent.get(f"/orders/{world.broadband_order.number}").text


@pytest.mark.parametrize("role", NO_PII_ROLES)
@pytest.mark.parametrize("q", [PHONE, "138 1234 5678", "+86 138-1234-5678", SECOND_LINE, ID_NUMBER])
def test_order_search_by_a_full_phone_or_id_number_is_refused_without_pii(
    console: Console, world: PiiWorld, role: str, q: str
) -> None:
    response = console.user(role).get("/orders", params={"q": q})
    assert response.status_code == 403
    assert REFUSED in text_of(response.text)
    assert "张三" not in response.text and world.mobile_order.number not in response.text


def test_order_search_without_pii_still_works_by_name_and_broadband_account(
    console: Console, world: PiiWorld
) -> None:
    inspector = console.user("inspector")
    for q in ("张三", "KD0571001"):
        found = inspector.get("/orders", params={"q": q})
        assert found.status_code == 200 and world.broadband_order.number in found.text, q
    agent = console.user("agent")
    for q in (PHONE, SECOND_LINE):
        found = agent.get("/orders", params={"q": q})
        assert found.status_code == 200 and world.mobile_order.number in found.text, q


@pytest.mark.parametrize("q", [PHONE, "+86 138 1234 5678", SECOND_LINE, ID_NUMBER])
def test_workbench_lookup_by_a_full_phone_or_id_number_is_refused_without_pii(
    console: Console, world: PiiWorld, q: str
) -> None:
    partner = console.user("partner")
    refused = partner.get("/workbench", params={"q": q})
    assert refused.status_code == 403 and REFUSED in text_of(refused.text)
    assert "lookup-results" not in refused.text  # no customer found (its queues show its own orders)
    # A broadband account identifies the line, not the person's phone: a partner may look it up.
    by_account = partner.get("/workbench", params={"q": "KD0571001"})
    assert by_account.status_code == 303
    assert by_account.headers["location"] == f"/workbench/customer/{world.customer_id}"
    # The agent finds the caller by the number the caller rings from, or by their second line.
    agent = console.user("agent").get("/workbench", params={"q": q})
    if q != ID_NUMBER:  # the lookup has no ID-number key
        assert agent.status_code == 303, q


def test_what_a_partner_typed_is_shown_back_whole_and_saved_whole(console: Console, world: PiiWorld) -> None:
    """The form a refusal or a preview shows again keeps the staff member's own text unmasked: saving
    it must not store the masked text (the rest of the page stays masked)."""
    partner = console.user("partner")
    typed = "客户要求回拨 13900002222，白天在家"
    form = {
        "customer": str(world.customer_id),
        "idempotency_key": "pii-1",
        "type": "complaint",
        "channel": "partner",
        "priority": "3",
        "severity": "minor",
        "subscription": "",
        "title": "",
        "description": typed,
    }
    preview = partner.post("/workbench/new", {**form, "intent": "preview"})
    assert preview.status_code == 200, preview.text
    assert f">{typed}</textarea>" in preview.text
    assert PHONE not in preview.text  # the customer's own phone, in the header: masked
    saved = partner.post("/workbench/new", {**form, "intent": "save"})
    assert saved.status_code == 303
    number = saved.headers["location"].rsplit("/", 1)[1]
    console.session.expire_all()
    order = console.session.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
    assert order.description == typed
    console.session.commit()
    assert "139****2222" in partner.get(f"/orders/{number}").text  # read back: masked
