"""Message search: any SMS sent to a customer, phone masked without pii:read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from manyi.console.deps import Page, page
from manyi.console.messages.view import EVENT_NAMES, STATUSES
from manyi.core.errors import PermissionDenied
from manyi.core.masking import mask_phone
from manyi.notify.search import search_messages

router = APIRouter(include_in_schema=False)


@router.get("/messages")
def messages_page(p: Annotated[Page, Depends(page)], q: str | None = None) -> Response:
    p.require("message:read")
    pii = p.can("pii:read")
    error = None
    rows = []
    try:
        rows = search_messages(p.session, query=q or "", scope=p.scope(), pii=pii)
    except PermissionDenied:
        error = p.gettext("Your role may not search by phone number; use the customer or order number.")
    shown = [
        {
            "message": m,
            "phone": m.address if pii else mask_phone(m.address),
            "customer_no": customer_no,
            "order_number": order_number,
        }
        for m, customer_no, order_number in rows
    ]
    return p.render(
        "messages/search.html",
        q=q or "",
        rows=shown,
        search_error=error,
        names=EVENT_NAMES,
        statuses=STATUSES,
    )
