"""Every HTTP router, registered explicitly (never by import side effects)."""

from __future__ import annotations

from fastapi import APIRouter

from manyi.auth.endpoints import router as auth_router
from manyi.customers.endpoints import router as customers_router
from manyi.orders.endpoints import router as tickets_router

ROUTERS: list[APIRouter] = [
    auth_router,
    tickets_router,
    customers_router,
]
