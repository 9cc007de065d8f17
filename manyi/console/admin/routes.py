"""The /admin index: one card per concept, and the warning that next year's holiday schedule is
missing (SLA deadlines after 31 December are only provisional until it is loaded). Each concept has
its own module and router, included here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from manyi.calendars.service import check_year
from manyi.console.admin.calendars import router as calendars_router
from manyi.console.admin.calendars import this_year
from manyi.console.admin.categories import router as categories_router
from manyi.console.admin.common import can_view
from manyi.console.admin.notifications import router as notifications_router
from manyi.console.admin.org import router as org_router
from manyi.console.admin.routing import router as routing_router
from manyi.console.admin.sla import router as sla_router
from manyi.console.admin.teams import router as teams_router
from manyi.console.admin.users import router as users_router
from manyi.console.deps import Page, page

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_index(p: Annotated[Page, Depends(page)]) -> Response:
    can_view(p)
    year = this_year() + 1
    return p.render("admin/index.html", next_year=check_year(p.session, year=year))


for sub in (
    users_router,
    teams_router,
    routing_router,
    sla_router,
    calendars_router,
    categories_router,
    org_router,
    notifications_router,
):
    router.include_router(sub)
