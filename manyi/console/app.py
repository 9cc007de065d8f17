"""Mount the console on the application: static files, page routers, and HTML error pages for
console paths (the REST API keeps its TMF JSON errors)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import plotly
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from manyi.api.errors import UNAVAILABLE, UNSTORABLE, BadUrl, log_unavailable, log_unexpected
from manyi.console import i18n
from manyi.console import session as console_session
from manyi.console.auth_pages import router as auth_router
from manyi.console.deps import LoginRequired
from manyi.console.i18n import CONSOLE_DIR, SCREENS
from manyi.console.templating import render_template
from manyi.core.errors import ManyiError

STATIC_DIR = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
API_PREFIXES = ("/tmf-api/", "/api/", "/openapi.json", "/docs", "/redoc", "/healthz", "/readyz", "/metrics")


def _(message: str) -> str:
    """Mark a message for the catalog: error.html shows it in the request's language."""
    return message


TOO_LARGE_TEXT = _("What was sent is too large. Shorten the text or send a smaller file.")
BAD_URL_TEXT = _("The address contains characters or values that are not allowed.")
UNSTORABLE_TEXT = _("A value could not be stored; check what you entered and try again.")
UNAVAILABLE_TEXT = _("The database is not available at the moment; try again in a few seconds.")
UNEXPECTED_TEXT = _("An unexpected error occurred; it has been logged.")

# Page routers, registered explicitly; each page module owns its routes, templates and catalog.
PAGE_ROUTERS: list[APIRouter] = [auth_router]


def is_console(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    locale = i18n.choose_locale(
        request.cookies.get(i18n.LOCALE_COOKIE), request.headers.get("accept-language")
    )
    i18n.set_locale(locale)
    signed_in = bool(request.cookies.get(console_session.SESSION_COOKIE))
    html = render_template(
        "error.html",
        {
            "lang": locale,
            "status": status,
            "message": message,
            "signed_in": signed_in,
            "path": request.url.path,
        },
    )
    return HTMLResponse(html, status_code=status)


def _wrap(app: FastAPI, exc_class: Any, message_of: Any, status_of: Any) -> None:
    """Console paths get an HTML page; everything else keeps the handler the API installed."""
    original = app.exception_handlers.get(exc_class)

    async def handler(request: Request, exc: Any) -> Response:
        if is_console(request) or original is None:
            status = status_of(exc)
            response = error_page(request, status, message_of(exc))
            if status == 503:
                log_unavailable(request, exc)
                response.headers["Retry-After"] = "5"
            elif status >= 500:
                log_unexpected(request, exc)
            return response
        answer = original(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(exc_class, handler)


def _static_files() -> StaticFiles:
    """/static/<file> from the shell's folder, then from each screen's (console/<screen>/static):
    a screen keeps its own CSS and scripts, and their URLs stay flat."""
    static = StaticFiles(directory=STATIC_DIR)
    screens = [CONSOLE_DIR / name / "static" for name in SCREENS]
    static.all_directories = [*static.all_directories, *(d for d in screens if d.is_dir())]
    return static


def install(app: FastAPI) -> None:
    from manyi.console.pages import PAGES  # the page modules, imported late: they import services

    app.mount("/static", _static_files(), name="static")

    @app.get("/static-vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Plotly's own bundle from its PyPI package: charts work offline, no CDN, no Node.
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(exc.next_url, status_code=303)

    _wrap(app, ManyiError, lambda e: e.message, lambda e: e.status)
    _wrap(app, BadUrl, lambda e: BAD_URL_TEXT, lambda e: 400)
    _wrap(app, StarletteHTTPException, lambda e: str(e.detail), lambda e: e.status_code)
    _wrap(
        app,
        RequestValidationError,
        lambda e: "; ".join(
            f"{'.'.join(str(x) for x in err.get('loc', ())[1:])}: {err.get('msg')}" for err in e.errors()
        ),
        lambda e: 422,
    )
    for error_class in UNSTORABLE:
        _wrap(app, error_class, lambda e: UNSTORABLE_TEXT, lambda e: 400)
    for error_class in UNAVAILABLE:
        _wrap(app, error_class, lambda e: UNAVAILABLE_TEXT, lambda e: 503)
    _wrap(app, Exception, lambda e: UNEXPECTED_TEXT, lambda e: 500)
    for router in [*PAGE_ROUTERS, *PAGES]:
        app.include_router(router)
