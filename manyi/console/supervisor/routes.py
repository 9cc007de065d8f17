"""/supervisor: what a supervisor watches — open orders by team and status (refreshed every minute),
breached and about-to-breach orders, timeliness today and this month by team, the SLA escalations
sent to me, and a banner when next year's holiday schedule is missing. Read-only; everything is
limited to the user's regions. The counts and timeliness are kept briefly per region scope and shown
"as of" (supervisor_cache); the lists are exact on every request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from manyi.console.deps import Page, page
from manyi.console.supervisor import view
from manyi.core.clock import now
from manyi.core.errors import PermissionDenied

router = APIRouter(prefix="/supervisor", include_in_schema=False)

ROLES = ("supervisor", "branch_manager", "admin", "inspector", "auditor")
REFRESH_SECONDS = 60


def _allowed(p: Page) -> None:
    p.require("ticket:read")
    if not p.has_role(*ROLES):
        raise PermissionDenied(p.gettext("Your role does not allow this page or action."))


@router.get("", response_class=HTMLResponse)
def supervisor_page(p: Annotated[Page, Depends(page)]) -> HTMLResponse:
    _allowed(p)
    at = now()
    return p.render(
        "supervisor/index.html",
        refresh_seconds=REFRESH_SECONDS,
        **view.banner_context(p, at),
        **view.live_context(p, at),
        **view.timeliness_context(p, at),
        **view.escalations_context(p),
    )


@router.get("/live", response_class=HTMLResponse)
def supervisor_live(p: Annotated[Page, Depends(page)]) -> HTMLResponse:
    """The counts and watch lists alone, for supervisor.js to swap in every minute."""
    _allowed(p)
    response = p.render("supervisor/_live.html", **view.live_context(p, now()))
    response.headers["Cache-Control"] = "no-store"
    return response
