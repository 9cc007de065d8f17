"""Every HTTP router, registered explicitly (never by import side effects)."""

from __future__ import annotations

from fastapi import APIRouter

from manyi.auth.endpoints import router as auth_router
from manyi.calendars.endpoints import router as calendars_router
from manyi.customers.endpoints import router as customers_router
from manyi.customers.endpoints import schema_router as customer_schema_router
from manyi.customers.history_endpoints import router as customer_history_router
from manyi.hub.endpoints import router as hub_router
from manyi.notify.endpoints import router as inbox_router
from manyi.notify.tmf import router as communication_router
from manyi.orders.partner_endpoints import router as ticket_partner_router
from manyi.orders.routing_endpoints import router as routing_router
from manyi.orders.tmf.endpoints import router as tickets_router
from manyi.orders.tmf.endpoints import schema_router as ticket_schema_router
from manyi.org.endpoints import router as org_router
from manyi.org.region_endpoints import router as regions_router
from manyi.sla.endpoints import router as sla_router

ROUTERS: list[APIRouter] = [
    auth_router,
    tickets_router,
    ticket_partner_router,
    customers_router,
    customer_history_router,
    hub_router,
    sla_router,
    calendars_router,
    routing_router,
    org_router,
    regions_router,
    ticket_schema_router,
    customer_schema_router,
    inbox_router,
    communication_router,
]
