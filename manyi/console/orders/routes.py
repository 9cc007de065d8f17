"""Order search/list (/orders) and the order page (/orders/{number}); the page's forms live in
order_actions and order_files and are mounted here, so pages.py registers one router."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from manyi.console.deps import Page, page, query_int
from manyi.console.orders.actions import router as actions_router
from manyi.console.orders.files import router as files_router
from manyi.console.orders.loop import router as loop_router
from manyi.console.orders.overview import team_choices
from manyi.console.orders.search import PAGE_SIZE, OrderFilters, OrderPage, search_orders
from manyi.console.orders.view import load_order, render_order
from manyi.console.workbench.view import pii_search_refused
from manyi.core.masking import PiiSearchRefused, mask_phone
from manyi.orders import lifecycle
from manyi.org.reference import region_index, team_name

router = APIRouter(include_in_schema=False)
router.include_router(actions_router)
router.include_router(files_router)
router.include_router(loop_router)


def _filters(request: Request) -> OrderFilters:
    """The list's filters from the query string; unknown values are ignored, not errors."""
    args = request.query_params
    status = args.get("status") or None
    type_ = args.get("type") or None
    team = args.get("team", "")
    breached = {"1": True, "0": False}.get(args.get("breached", ""))
    return OrderFilters(
        q=args.get("q", "").strip()[:64],
        status=status if status in lifecycle.STATUSES else None,
        type=type_ if type_ in lifecycle.ORDER_TYPES else None,
        team_id=query_int(team),
        region_code=args.get("region") or None,
        breached=breached,
    )


def _offset(request: Request) -> int:
    return min(query_int(request.query_params.get("offset"), low=0) or 0, 100_000)


def _query(filters: OrderFilters, offset: int) -> str:
    """The list's URL for another page, every filter kept."""
    params = {
        "q": filters.q,
        "status": filters.status or "",
        "type": filters.type or "",
        "team": str(filters.team_id or ""),
        "region": filters.region_code or "",
        "breached": "" if filters.breached is None else "1" if filters.breached else "0",
        "offset": str(offset) if offset else "",
    }
    return "/orders?" + urlencode({k: v for k, v in params.items() if v})


@router.get("/orders")
def order_list(request: Request, p: Annotated[Page, Depends(page)]) -> Response:
    p.require("ticket:read")
    filters = _filters(request)
    offset = _offset(request)
    pii = p.can("pii:read")
    refused = None
    try:
        result = search_orders(p.session, filters=filters, viewer=p.viewer(), pii=pii, offset=offset)
    except PiiSearchRefused:
        refused = pii_search_refused(p)
        result = OrderPage([], offset, False)
    regions = region_index(p.session)
    rows = []
    for order in result.orders:
        customer = result.customers.get(order.customer_id) if order.customer_id else None
        phone = customer.phone if customer else None
        rows.append(
            {
                "order": order,
                "customer": customer.name if customer else "",
                "phone": (phone if pii else mask_phone(phone)) or "",
                "team": team_name(p.session, order.team_id) or "",
                "region": regions[order.region_code].name if order.region_code in regions else "",
            }
        )
    return p.render(
        "orders/list.html",
        status_code=403 if refused else 200,
        refused=refused,
        filters=filters,
        rows=rows,
        prev_url=_query(filters, max(0, offset - PAGE_SIZE)) if result.has_prev else None,
        next_url=_query(filters, offset + PAGE_SIZE) if result.has_next else None,
        first=offset + 1,
        statuses=lifecycle.STATUSES,
        types=lifecycle.ORDER_TYPES,
        teams=team_choices(p.session),
        regions=sorted(
            (info for code, info in regions.items() if p.in_scope(code)),
            key=lambda info: info.code,
        ),
        can_create=p.can("ticket:create"),
    )


@router.get("/orders/{number}")
def order_page(number: str, p: Annotated[Page, Depends(page)]) -> Response:
    p.require("ticket:read")
    return render_order(p, load_order(p, number))
