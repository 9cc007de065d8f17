"""Accessibility basics on every page a role opens: each form control has a label (a <label for>, an
enclosing <label>, or an aria-label), ids are unique, and the page says its language."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from manyi.orders import service
from tests.fixtures.console import Console

CONTROLS = ("input", "select", "textarea")
UNLABELLED_TYPES = ("hidden", "submit", "button", "reset", "image")


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.open_labels = 0
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        if tag in CONTROLS and (tag != "input" or (a.get("type") or "text") not in UNLABELLED_TYPES):
            self.controls.append({**a, "_tag": tag, "_wrapped": "1" if self.open_labels else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels = max(0, self.open_labels - 1)


def _problems(html: str) -> list[str]:
    form = _Form()
    form.feed(html)
    problems = [
        f"<{c['_tag']} name={c.get('name')!r} id={c.get('id')!r}> has no label"
        for c in form.controls
        if not (
            c.get("_wrapped")
            or c.get("aria-label")
            or c.get("aria-labelledby")
            or (c.get("id") in form.label_for)
        )
    ]
    duplicates = {i for i in form.ids if form.ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate ids: {sorted(duplicates)}")
    if form.lang not in ("zh-CN", "en"):
        problems.append(f"html lang is {form.lang!r}")
    return problems


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_control_on_every_page_has_a_label(console: Console, lang: str) -> None:
    op = console.operator
    order = service.create_order(
        console.session,
        type="fault",
        description="宽带断网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
    )
    service.transition_order(console.session, order_id=order.id, action="contact")
    resolved = service.create_order(
        console.session, type="complaint", description="投诉", channel="hotline", region_code="330106"
    )
    service.transition_order(console.session, order_id=resolved.id, action="contact")
    service.transition_order(
        console.session, order_id=resolved.id, action="resolve", resolution_code="explained"
    )
    # One waiting in triage, so the board shows its "awaiting region" forms too.
    service.create_order(
        console.session,
        type="fault",
        description="无区域",
        channel="web",
        region_code="330000",
        region_pending=True,
    )
    console.session.commit()
    pages = {
        "agent": [
            "/workbench",
            f"/workbench/customer/{op.customer.id}",
            f"/workbench/new?customer={op.customer.id}",
            "/orders",
            f"/orders/{order.number}",
            "/account",
        ],
        "dispatcher": ["/board", f"/board?team={op.field_team.id}"],
        "technician": ["/jobs"],
        # the red/blue list form; the callback and callback-attempt forms of a resolved order
        "supervisor": ["/supervisor", f"/workbench/customer/{op.customer.id}"],
        "callback_agent": [f"/orders/{resolved.number}"],
        "admin": [
            "/admin",
            "/admin/users",
            "/admin/users/new",
            "/admin/teams",
            "/admin/routing",
            "/admin/sla",
            "/admin/calendars",
            "/admin/calendars/office",
            "/admin/categories",
        ],
    }
    found = {}
    for role, urls in pages.items():
        staff = console.user(role, lang=lang)
        for url in urls:
            response = staff.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            problems = _problems(response.text)
            if problems:
                found[f"{role} {url}"] = problems
    login = console.anonymous().get("/login")
    if _problems(login.text):
        found["/login"] = _problems(login.text)
    assert not found, found


def test_the_checker_sees_an_unlabelled_control_and_a_duplicate_id() -> None:
    html = '<html lang="zh-CN"><label for="a">A</label><input id="a"><input id="b" name="q"><p id="a"></p></html>'
    problems = _problems(html)
    assert "<input name='q' id='b'> has no label" in problems
    assert "duplicate ids: ['a']" in problems
    assert (
        _problems('<html lang="en"><label>Q <input name="q"></label><select aria-label="x"></select></html>')
        == []
    )
