"""`/regions/options`: what the console's region pickers offer while one types (a region's name or
code), within the signed-in user's regions. JSON for static/regions.js; without JavaScript the
pickers are plain text fields taking codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from manyi.console.deps import Page, page
from manyi.org.region_queries import describe, search_regions

router = APIRouter(include_in_schema=False)
OPTIONS = 20


@router.get("/regions/options")
def region_options(
    p: Annotated[Page, Depends(page)], q: Annotated[str, Query(max_length=64)] = ""
) -> JSONResponse:
    found = search_regions(p.session, scope=p.scope(), q=q)[:OPTIONS]
    return JSONResponse(
        [{"code": v.code, "name": v.name, "path": v.full_name, "label": v.label} for v in found],
        headers={"Cache-Control": "private, max-age=60"},
    )


def region_names(p: Page, codes: str | list[str] | None) -> str:
    """The full names of the codes a region field holds, shown under it."""
    return describe(p.session, codes or "")
