"""Security headers (issue 17): the console sent no Content-Security-Policy, framing refusal,
nosniff or referrer policy. Now every response carries them, and in Chromium the console's pages
still work (Plotly's chart included) without a single CSP violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from manyi.core.clock import now
from manyi.ops.headers import CONSOLE_CSP
from manyi.orders import service
from tests.console.supervisor.test_supervisor import HANGZHOU, MONDAY_10, _order
from tests.fixtures.api import Api
from tests.fixtures.console import Browser, Console

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": CONSOLE_CSP,
}


def _assert_headers(response: Any) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.url, name)


def test_console_pages_errors_and_static_files_carry_the_headers(console: Console) -> None:
    agent = console.user("agent")
    anonymous = console.anonymous()
    for response in (
        anonymous.get("/login"),
        agent.get("/workbench"),
        agent.get("/orders/GD-none"),  # the HTML error page
        anonymous.get("/static/console.js"),
        anonymous.get("/static-vendor/plotly.min.js"),
    ):
        _assert_headers(response)
    csp = dict(part.split(" ", 1) for part in CONSOLE_CSP.split("; "))
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"


def test_api_answers_carry_nosniff_too(api: Api) -> None:
    _assert_headers(api.client.get("/tmf-api/troubleTicket/v4/troubleTicket", headers=api.headers()))
    _assert_headers(api.client.get("/tmf-api/troubleTicket/v4/troubleTicket"))  # a 401
    _assert_headers(api.client.get("/healthz"))
    docs = api.client.get("/docs")  # Swagger UI's own page keeps its CDN script: no console CSP there
    assert docs.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in docs.headers


def test_no_template_has_inline_script_or_event_handlers() -> None:
    import re
    from pathlib import Path

    console = Path(__file__).resolve().parents[2] / "manyi" / "console"  # the shell's and each screen's
    for path in console.rglob("templates/*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", html), f"{path.name}: inline event handler"
        assert "javascript:" not in html, f"{path.name}: javascript: URL"
        for script in re.findall(r"<script\b([^>]*)>", html):
            assert "src=" in script or 'type="application/json"' in script, f"{path.name}: inline script"


# Runs before the page's own scripts and outside its CSP: records every violation the page reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def test_console_works_in_chromium_without_a_csp_violation(console: Console, browser: Browser) -> None:
    with time_machine.travel(MONDAY_10, tick=True):
        order = _order(console, "inquiry", "330106", MONDAY_10 - timedelta(minutes=20))
        service.transition_order(
            console.session, order_id=order.id, action="resolve", resolution_code="answered", at=now()
        )
        open_order = _order(console, "fault", "330106", MONDAY_10 - timedelta(minutes=5))
        console.session.commit()
        supervisor = console.user("supervisor", regions=(HANGZHOU,))
        admin = console.user("admin")
        messages: list[str] = []

        def watch(pg: Any) -> Any:
            pg.context.add_init_script(RECORD_VIOLATIONS)
            pg.on("console", lambda m: messages.append(m.text))
            return pg

        pg = watch(browser.page_for(supervisor))
        pg.goto("/supervisor")
        pg.locator("#timeliness-chart svg.main-svg").first.wait_for()  # Plotly drew the chart
        assert pg.evaluate("window.__csp") == []

        pg = watch(browser.page_for(admin))
        pg.goto(f"/orders/{open_order.number}")
        clock = pg.locator(".clock[data-due]").first
        clock.wait_for()
        assert any(
            c in (clock.get_attribute("class") or "") for c in ("ok", "warning", "breached")
        )  # console.js ran
        pg.goto("/board")
        pg.goto("/admin/calendars/office")
        pg.goto("/orders")
        pg.goto("/orders/GD-none")  # the error page: its "go back" link works without javascript: URLs
        pg.get_by_role("link", name="返回", exact=True).click()
        pg.wait_for_url("**/orders")
        assert pg.evaluate("window.__csp") == []
        violations = [m for m in messages if "Content Security Policy" in m]
        assert not violations, violations

        # The control: an injected inline script is blocked, and the watch above would have seen it.
        pg.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
            " document.body.appendChild(s); }"
        )
        pg.wait_for_function("window.__csp.length > 0")
        assert pg.evaluate("window.__ran") is None
        assert pg.evaluate("window.__csp")[0].startswith("script-src")
