"""Issue 12, bugs 4 and 7 (favicon): the API documentation and the site icon come from this server,
never from a CDN, so they work on an operator's network without internet."""

from __future__ import annotations

import re
from typing import Any

from tests.fixtures.console import Browser, Console


def test_docs_and_redoc_load_their_scripts_from_this_server(console: Console) -> None:
    client = console.anonymous()
    for path, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources  # nothing off-site
        local = next(s for s in sources if s.endswith(script))
        asset = client.get(local)
        assert asset.status_code == 200 and len(asset.content) > 100_000
    assert "SwaggerUIBundle" in client.get("/static-offline-docs/swagger-ui-bundle.js").text


def test_favicon_is_served(console: Console) -> None:
    icon = console.anonymous().get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon" href="/favicon.ico"' in console.user("agent").get("/workbench").text


def test_browser_shows_swagger_ui_offline(console: Console, browser: Browser) -> None:
    page: Any = browser.page_for()
    off_site: list[str] = []
    page.route(
        re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"),
        lambda route: (off_site.append(route.request.url), route.abort()),
    )
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Manyi" in page.locator(".swagger-ui .info .title").inner_text()
    page.goto("/redoc")
    page.locator("redoc h1, .api-info h1").first.wait_for()
    assert off_site == []
