"""The HTTP application: the REST API (TMF Open APIs and the admin API), the staff console and a
health check, on one FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from manyi.core.db import session_factory

API_DESCRIPTION = """Manyi's REST API: the TM Forum Open APIs (TMF621 Trouble Ticket, TMF629 Customer, TMF688-style
event hub) plus Manyi's own admin resources under `/api/v1/`. Authenticate with
`POST /api/v1/auth/token` (staff) or an `X-API-Key` header (systems).

满意的 REST 接口：TM Forum 开放接口（TMF621 工单、TMF629 客户、TMF688 事件订阅）及 `/api/v1/` 下的管理接口。
员工通过 `POST /api/v1/auth/token` 登录获取令牌，系统对接使用 `X-API-Key`。"""


def create_app() -> FastAPI:
    app = FastAPI(title="Manyi 满意", version="0.1.0", description=API_DESCRIPTION)
    from manyi.api import errors, openapi
    from manyi.api.routers import ROUTERS
    from manyi.console import app as console
    from manyi.hub.wiring import install_hooks

    install_hooks()
    errors.install(app)
    openapi.install(app)
    for router in ROUTERS:
        app.include_router(router)
    console.install(app)  # after the API's error handlers: console paths get HTML error pages

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with session_factory()() as session:
            session.execute(select(1))
        return {"status": "ok"}

    return app
