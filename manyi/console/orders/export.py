"""Excel export of the order list (issue 12, supervisor): the rows /orders shows for the same
filters, region scope and masking -- phones and any phone or ID number in the title masked for roles
without pii:read -- at most EXPORT_MAX rows, each export logged with who, what and how many."""

from __future__ import annotations

from io import BytesIO
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from openpyxl import Workbook

from manyi.console.deps import Page, page
from manyi.console.labels import label
from manyi.console.orders.routes import filters_of
from manyi.console.orders.search import OrderFilters, search_orders
from manyi.console.templating import local
from manyi.console.workbench.view import pii_search_refused
from manyi.core.clock import now
from manyi.core.logging import get_logger
from manyi.core.masking import PiiSearchRefused, mask_phone, mask_text
from manyi.org.reference import region_index, team_name

router = APIRouter(include_in_schema=False)
log = get_logger("manyi.console.export")

EXPORT_MAX = 5000
BATCH = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (
    "Order no.",
    "Type",
    "Status",
    "Title",
    "Customer",
    "Phone",
    "Team",
    "Region",
    "Created",
    "SLA breached",
)


def _(message: str) -> str:
    return message


SHEET_TITLE = _("Orders")
YES, NO = _("Yes"), _("No")


def export_rows(p: Page, filters: OrderFilters) -> list[list[Any]]:
    """The list's rows for the export, masked for the caller's role."""
    pii = p.can("pii:read")
    regions = region_index(p.session)
    rows: list[list[Any]] = []
    offset = 0
    while len(rows) < EXPORT_MAX:
        found = search_orders(
            p.session, filters=filters, viewer=p.viewer(), pii=pii, offset=offset, limit=BATCH
        )
        for order in found.orders:
            customer = found.customers.get(order.customer_id) if order.customer_id else None
            phone = customer.phone if customer else None
            title = order.title or ""
            rows.append(
                [
                    order.number,
                    label("type", order.type),
                    label("status", order.status),
                    title if pii else mask_text(title),
                    customer.name if customer else "",
                    (phone if pii else mask_phone(phone)) or "",
                    team_name(p.session, order.team_id) or "",
                    regions[order.region_code].name if order.region_code in regions else "",
                    local(order.created_at),
                    p.gettext(YES) if order.sla_breached else p.gettext(NO),
                ]
            )
        if not found.has_next:
            break
        offset += BATCH
    return rows[:EXPORT_MAX]


def workbook_bytes(p: Page, rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(p.gettext(SHEET_TITLE))
    sheet.append([p.gettext(h) for h in HEADERS])
    for row in rows:
        # A cell starting with = + - @ would be a formula to Excel: text from customers stays text.
        sheet.append([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@router.get("/orders/export.xlsx")
def export_orders(request: Request, p: Annotated[Page, Depends(page)]) -> Response:
    p.require("ticket:read")
    filters = filters_of(request, p.principal.user_id)
    try:
        rows = export_rows(p, filters)
    except PiiSearchRefused:
        return p.redirect("/orders", flash=pii_search_refused(p))
    log.info(
        "orders_exported",
        user=p.principal.username,
        user_id=p.principal.user_id,
        filters=request.url.query,
        rows=len(rows),
        masked=not p.can("pii:read"),
    )
    stamp = local(now(), "%Y%m%d-%H%M")
    p.commit()
    return Response(
        workbook_bytes(p, rows),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="orders-{stamp}.xlsx"'},
    )
