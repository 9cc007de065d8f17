"""Every console page router after login and landing, registered explicitly."""

from __future__ import annotations

from fastapi import APIRouter

from manyi.console.admin.routes import router as admin_router
from manyi.console.board.routes import router as board_router
from manyi.console.jobs.routes import router as jobs_router
from manyi.console.messages.routes import router as messages_router
from manyi.console.orders.export import router as export_router
from manyi.console.orders.routes import router as order_router
from manyi.console.orders.saved_searches import router as saved_searches_router
from manyi.console.regions import router as regions_router
from manyi.console.supervisor.routes import router as supervisor_router
from manyi.console.workbench.routes import router as workbench_router

PAGES: list[APIRouter] = [
    workbench_router,
    export_router,  # before order_router: /orders/{number} would take "export.xlsx"
    order_router,
    board_router,
    jobs_router,
    supervisor_router,
    admin_router,
    regions_router,
    saved_searches_router,
    messages_router,
]
