"""`/api/v1/regions`: the administrative divisions a caller may see, searchable and as a tree.

Regions are reference data every client needs (a new ticket's `region.id`, a user's regions), so
any authenticated caller may read them; a caller scoped to some regions sees only those and what
lies within them, and a region outside answers 404 as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from manyi.api.errors import ApiError
from manyi.api.query import parse_fields, parse_list_query, select_fields
from manyi.auth.deps import Ctx, ctx
from manyi.core.errors import NotFound
from manyi.org.region_queries import (
    LEVELS,
    RegionView,
    children_of,
    get_region,
    scope_roots,
    search_regions,
    visible,
)
from manyi.org.schemas import RegionNode, RegionOut

REGIONS = "/api/v1/regions"
TAG = "regions 行政区划"
router = APIRouter(prefix="/api/v1", tags=[TAG])
MAX_DEPTH = 3


def _document(v: RegionView) -> dict[str, Any]:
    return {
        "id": v.code,
        "href": f"{REGIONS}/{v.code}",
        "@type": "Region",
        "code": v.code,
        "name": v.name,
        "level": v.level,
        "parentCode": v.parent_code,
        "path": [{"code": code, "name": name} for code, name in v.path],
        "label": v.label,
    }


@router.get(
    "/regions",
    summary="Search regions / 查询行政区划",
    description="`q`: a code prefix (4301) or part of a name (芙蓉); `parent`: children of a region; `level`: "
    "province, city or district. Best matches first (the exact name, names starting with `q`, then by "
    "code). `offset`/`limit` with `X-Total-Count`; `fields=`. A caller scoped to some regions sees only "
    "those and what lies within them.\n\n按名称或代码搜索行政区划（仅限调用者的区域范围）。",
    response_model=list[RegionOut],
)
def list_regions(
    request: Request,
    c: Annotated[Ctx, Depends(ctx)],
    q: Annotated[str, Query(max_length=64)] = "",
    parent: Annotated[str | None, Query(max_length=12)] = None,
    level: str | None = None,
) -> JSONResponse:
    if level is not None and level not in LEVELS:
        raise ApiError(400, f"level: expected one of {', '.join(LEVELS)}, got {level!r}", field="level")
    params = request.query_params
    unknown = sorted(set(params) - {"q", "parent", "level", "fields", "offset", "limit"})
    if unknown:
        raise ApiError(
            400, f"{unknown[0]}: not a filter of regions; use q, parent or level", field=unknown[0]
        )
    page = parse_list_query(
        QueryParams({k: v for k, v in params.items() if k in ("fields", "offset", "limit")})
    )
    found = search_regions(c.session, scope=c.scope(), q=q, parent=parent, level=level)
    docs = [select_fields(_document(v), page.fields) for v in found[page.offset : page.offset + page.limit]]
    return JSONResponse(docs, headers={"X-Total-Count": str(len(found)), "X-Result-Count": str(len(docs))})


@router.get(
    "/regions/tree",
    summary="Region tree / 行政区划树",
    description=f"The regions under `root` (default: the caller's outermost regions) to `depth` levels "
    f"(1-{MAX_DEPTH}, default {MAX_DEPTH}).\n\n行政区划树。",
    response_model=list[RegionNode],
)
def region_tree(
    c: Annotated[Ctx, Depends(ctx)],
    root: Annotated[str | None, Query(max_length=12)] = None,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = MAX_DEPTH,
) -> JSONResponse:
    scope = c.scope()
    regions = visible(c.session, scope)
    if root is not None and root not in regions:
        raise NotFound(f"region {root} does not exist")

    def node(code: str, left: int) -> dict[str, Any]:
        info = regions[code]
        out: dict[str, Any] = {"code": code, "name": info.name, "level": info.level}
        if left > 1:
            out["children"] = [node(k, left - 1) for k in children_of(c.session, code=code, scope=scope)]
        return out

    roots = [root] if root else scope_roots(c.session, scope)
    return JSONResponse([node(code, depth) for code in roots])


@router.get("/regions/{code}", summary="Get a region / 查看行政区划", response_model=RegionOut)
def read_region(code: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    found = get_region(c.session, code=code, scope=c.scope())
    if found is None:
        raise NotFound(f"region {code} does not exist")
    document = _document(found) | {
        "children": [
            {"code": k, "href": f"{REGIONS}/{k}"} for k in children_of(c.session, code=code, scope=c.scope())
        ]
    }
    return JSONResponse(select_fields(document, parse_fields(fields)))
