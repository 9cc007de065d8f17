"""The in-app inbox (站内消息): every staff member's SLA warnings, breaches, escalations and new
assignments, with read/unread and links to the orders; the bell in the header counts the unread."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from manyi.console.deps import Page, page, page_number
from manyi.console.messages.search import router as search_router
from manyi.core.clock import now
from manyi.core.errors import ValidationFailed
from manyi.notify import inbox

router = APIRouter(include_in_schema=False)
router.include_router(search_router)  # message search
PAGE_SIZE = 50
EVENT_LABELS = {
    "sla.warning": "Warning",
    "sla.breach": "Breach",
    "sla.escalation": "Escalation",
    "order.assigned": "New assignment",
}


@router.get("/inbox")
def inbox_page(
    p: Annotated[Page, Depends(page)], unread: str | None = None, page: str | None = None
) -> Response:
    number = page_number(page)
    only_unread = unread == "1"
    user_id = p.principal.user_id
    locale = "en" if p.locale == "en" else "zh-CN"
    found = inbox.items(
        p.session,
        user_id=user_id,
        unread_only=only_unread,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
        locale=locale,
    )
    return p.render(
        "messages/inbox.html",
        items=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        page_number=number,
        only_unread=only_unread,
        unread_total=inbox.unread_count(p.session, user_id=user_id),
        labels=EVENT_LABELS,
    )


@router.post("/inbox/read")
def inbox_read(
    p: Annotated[Page, Depends(page)],
    item: Annotated[str | None, Form(max_length=24)] = None,
    all: Annotated[str | None, Form(max_length=1)] = None,
    back: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    ids = None if all == "1" else [item or ""]
    try:
        marked = inbox.mark_read(p.session, user_id=p.principal.user_id, ids=ids, at=now())
    except ValidationFailed:
        return p.redirect("/inbox", flash=p.gettext("That message does not exist."))
    target = "/inbox?unread=1" if back == "unread" else "/inbox"
    return p.redirect(target, flash=p.gettext("%(n)s marked as read.") % {"n": marked})
