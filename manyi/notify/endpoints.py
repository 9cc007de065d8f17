"""The caller's own inbox over the API (/api/v1/inbox): the same items as the console's bell and
inbox page. Any authenticated staff member reads only what is addressed to them."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from manyi.auth.deps import Ctx, ctx
from manyi.core.clock import now
from manyi.notify import inbox

router = APIRouter(prefix="/api/v1/inbox", tags=["Inbox 站内消息"])


class MarkRead(BaseModel):
    """Items to mark read; omit `ids` (or send null) to mark every item read."""

    ids: list[str] | None = Field(default=None, max_length=inbox.MAX_IDS)


def _item(item: inbox.InboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "date": item.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "event": item.event,
        "text": item.text,
        "read": item.read,
        "order": None
        if item.order_id is None
        else {"id": str(item.order_id), "number": item.order_number, "href": f"/orders/{item.order_id}"},
    }


@router.get(
    "",
    summary="My inbox / 我的站内消息",
    description="SLA warnings, breaches and escalations addressed to you and your new assignments, newest "
    "first. `unread=true` lists unread ones only; `X-Total-Count` is exact, `X-Unread-Count` is the bell's "
    "number.\n\n发给我的预警、超时、升级与新派单消息，按时间倒序。",
)
def list_inbox(
    c: Annotated[Ctx, Depends(ctx)],
    unread: bool = False,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSONResponse:
    user_id = c.principal.user_id
    found = inbox.items(c.session, user_id=user_id, unread_only=unread, offset=offset, limit=limit)
    total = inbox.total_count(c.session, user_id=user_id, unread_only=unread)
    headers = {
        "X-Total-Count": str(total),
        "X-Result-Count": str(len(found)),
        "X-Unread-Count": str(inbox.unread_count(c.session, user_id=user_id)),
    }
    return JSONResponse([_item(i) for i in found], headers=headers)


@router.get("/count", summary="Unread items / 未读数")
def count_inbox(c: Annotated[Ctx, Depends(ctx)]) -> dict[str, int]:
    return {"unread": inbox.unread_count(c.session, user_id=c.principal.user_id)}


@router.post(
    "/read",
    summary="Mark items read / 标为已读",
    description="Marks the given items (`o12`, `m34`) read, or all when `ids` is omitted; ids that are not "
    "yours are ignored. Answers how many were marked and the unread count left.",
)
def read_inbox(body: MarkRead, c: Annotated[Ctx, Depends(ctx)]) -> dict[str, int]:
    user_id = c.principal.user_id
    marked = inbox.mark_read(c.session, user_id=user_id, ids=body.ids, at=now())
    c.session.flush()
    return {"marked": marked, "unread": inbox.unread_count(c.session, user_id=user_id)}
