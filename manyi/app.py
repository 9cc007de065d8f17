"""The HTTP application. This issue's surface: a health check and an operator overview page.

The overview shows aggregate counts only (no customer data), so it needs no login; the TMF REST
API and the staff console, with authentication and region scope, are built on top of this app.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from manyi.calendars.models import HolidayYear
from manyi.core.clock import now, zone
from manyi.core.db import session_factory
from manyi.core.settings import get_settings
from manyi.customers.models import Customer
from manyi.orders.models import WorkOrder
from manyi.sla.models import SlaClock

STATUS_ZH = {
    "acknowledged": "已受理",
    "inProgress": "处理中",
    "pending": "待客户",
    "held": "挂起",
    "resolved": "已解决",
    "closed": "已关闭",
    "rejected": "已驳回",
    "cancelled": "已撤销",
}


API_DESCRIPTION = """Manyi's REST API: the TM Forum Open APIs (TMF621 Trouble Ticket, TMF629 Customer, TMF688-style
event hub) plus Manyi's own admin resources under `/api/v1/`. Authenticate with
`POST /api/v1/auth/token` (staff) or an `X-API-Key` header (systems).

满意的 REST 接口：TM Forum 开放接口（TMF621 工单、TMF629 客户、TMF688 事件订阅）及 `/api/v1/` 下的管理接口。
员工通过 `POST /api/v1/auth/token` 登录获取令牌，系统对接使用 `X-API-Key`。"""


def create_app() -> FastAPI:
    app = FastAPI(title="Manyi 满意", version="0.1.0", description=API_DESCRIPTION)
    from manyi.api import errors, openapi
    from manyi.api.routers import ROUTERS
    from manyi.hub.wiring import install_hooks

    install_hooks()
    errors.install(app)
    openapi.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with session_factory()() as session:
            session.execute(select(1))
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def overview() -> str:
        at = now()
        next_year = at.astimezone(zone(get_settings().default_timezone)).year + 1
        with session_factory()() as session:
            by_status = dict(
                session.execute(select(WorkOrder.status, func.count()).group_by(WorkOrder.status)).all()
            )
            customers = session.scalar(select(func.count()).select_from(Customer)) or 0
            breached = (
                session.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.breached.is_(True)))
                or 0
            )
            soon = (
                session.scalar(
                    select(func.count())
                    .select_from(SlaClock)
                    .where(
                        SlaClock.state == "running",
                        SlaClock.due_at > at,
                        SlaClock.due_at <= at + timedelta(hours=2),
                    )
                )
                or 0
            )
            provisional = (
                session.scalar(
                    select(func.count()).select_from(WorkOrder).where(WorkOrder.sla_provisional.is_(True))
                )
                or 0
            )
            has_next_year = session.get(HolidayYear, next_year) is not None
        rows = "".join(
            f"<tr><td>{escape(STATUS_ZH.get(s, s))}</td><td>{n}</td></tr>"
            for s, n in sorted(by_status.items())
        )
        banner = (
            ""
            if has_next_year
            else f'<p class="warn">⚠ 尚未导入 {next_year} 年节假日安排：涉及 {next_year} 年的时限为临时计算（{provisional} 张工单）。'
            f"请运行 <code>manyi calendar load-year {next_year} 文件</code>。</p>"
        )
        return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>满意 Manyi</title>
<style>body{{font-family:sans-serif;margin:2rem;}} td{{padding:.2rem 1rem;}} .warn{{background:#fff3cd;padding:.5rem;}}</style>
</head><body><h1>满意 Manyi — 运营概览</h1>{banner}
<p>客户 {customers} 户；已超时时限 {breached} 个；两小时内到期 {soon} 个。</p>
<table><tr><th>状态</th><th>工单数</th></tr>{rows}</table>
<p>命令行：<code>manyi order list</code>、<code>manyi order show 工单号</code>、<code>manyi calendar check {next_year}</code>。</p>
</body></html>"""

    return app
