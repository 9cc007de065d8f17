"""The HTTP application: the REST API (TMF Open APIs and the admin API), the staff console, and the
operations endpoints (/healthz, /readyz, /metrics), on one FastAPI app."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

API_DESCRIPTION = """Manyi's REST API: the TM Forum Open APIs (TMF621 Trouble Ticket, TMF629 Customer, TMF688-style
event hub) plus Manyi's own admin resources under `/api/v1/`. Authenticate with
`POST /api/v1/auth/token` (staff) or an `X-API-Key` header (systems).

满意的 REST 接口：TM Forum 开放接口（TMF621 工单、TMF629 客户、TMF688 事件订阅）及 `/api/v1/` 下的管理接口。
员工通过 `POST /api/v1/auth/token` 登录获取令牌，系统对接使用 `X-API-Key`。"""


def create_app() -> FastAPI:
    from fastapi_offline import FastAPIOffline

    from manyi.api import errors, openapi
    from manyi.api.body_limit import BodySizeLimit
    from manyi.api.query import clean_url
    from manyi.console import app as console
    from manyi.console.orders.files import UPLOAD_BODY_MAX, UPLOAD_PATH
    from manyi.core.settings import get_settings
    from manyi.hub.wiring import install_hooks
    from manyi.notify.triggers import install_hooks as install_notify_triggers
    from manyi.ops import health, metrics
    from manyi.ops.headers import SecurityHeaders
    from manyi.routers import ROUTERS

    # clean_url runs before every route's own dependencies: a NUL or an endless value in the URL
    # is refused before any database work.
    # /docs and /redoc from assets inside the fastapi-offline package: they work without internet
    # (FastAPI's own pages load Swagger UI and ReDoc from a CDN).
    app = FastAPIOffline(
        favicon_url="/favicon.ico",
        title="Manyi 满意",
        version="0.1.0",
        description=API_DESCRIPTION,
        dependencies=[Depends(clean_url)],
    )
    install_hooks()
    install_notify_triggers()
    errors.install(app)
    openapi.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in ROUTERS:
        app.include_router(router)
    console.install(app)  # after the API's error handlers: console paths get HTML error pages

    def too_large(request: Request, limit: int) -> Response:
        if console.is_console(request):
            return console.error_page(request, 413, console.TOO_LARGE_TEXT)
        return errors.error_response(
            413, "content_too_large", f"request body: at most {limit} bytes accepted"
        )

    # Outermost last: the size limit sees the body first, the metrics time everything.
    app.add_middleware(
        BodySizeLimit,
        default=get_settings().max_body_bytes,
        refuse=too_large,
        larger=[("POST", UPLOAD_PATH, UPLOAD_BODY_MAX)],
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(metrics.HttpMetrics)
    return app
