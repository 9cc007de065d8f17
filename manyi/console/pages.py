"""Every console page router after login and landing, registered explicitly."""

from __future__ import annotations

from fastapi import APIRouter

from manyi.console.admin_pages import router as admin_router
from manyi.console.board import router as board_router
from manyi.console.jobs import router as jobs_router
from manyi.console.messages import router as messages_router
from manyi.console.order_pages import router as order_router
from manyi.console.regions import router as regions_router
from manyi.console.supervisor import router as supervisor_router
from manyi.console.workbench import router as workbench_router

PAGES: list[APIRouter] = [
    workbench_router,
    order_router,
    board_router,
    jobs_router,
    supervisor_router,
    admin_router,
    regions_router,
    messages_router,
]
