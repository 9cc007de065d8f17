"""A customer's change history at /api/v1/customers/{id}/history (TMF629 has no such resource):
who changed which field when, before and after, and why; region-scoped, phones masked without
pii:read."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from manyi.auth.deps import Ctx, ctx
from manyi.core.errors import NotFound
from manyi.customers.history import customer_history, shown_changes
from manyi.customers.models import Customer
from manyi.org.reference import user_index

router = APIRouter(prefix="/api/v1/customers", tags=["Customer history 客户变更记录"])


@router.get(
    "/{id}/history",
    summary="A customer's change history / 客户资料变更记录",
    description="Every change to the customer made through Manyi, newest first: `date`, `action` (created, "
    "updated), `author` (user name; none for the system's own changes), `changes[] {field, before, after}` and "
    "`reason` (required for red/blue list changes). Phone numbers are masked without `pii:read`; ID numbers are "
    "stored masked. Needs `customer:read`; a customer outside your regions answers 404. `offset`/`limit` page it, "
    "`X-Total-Count` is exact.\n\n客户资料的每一次变更（操作人、时间、字段前后值、原因），按时间倒序。",
)
def get_history(
    id: str,
    c: Annotated[Ctx, Depends(ctx)],
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    c.require("customer:read")
    valid = id.isascii() and id.isdigit() and len(id) < 10
    customer = c.session.get(Customer, int(id)) if valid else None
    if customer is None:
        raise NotFound(f"customer {id} does not exist")
    c.check_region(customer.region_code, f"customer {id}")
    events, total = customer_history(c.session, customer_id=customer.id, offset=offset, limit=limit)
    users = user_index(c.session)
    pii = c.principal.can("pii:read")
    body: list[dict[str, Any]] = [
        {
            "id": str(e.id),
            "date": e.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "action": e.action,
            "author": users[e.actor_id].username if e.actor_id in users else None,
            "changes": shown_changes(e.changes, pii=pii),
            "reason": e.note,
        }
        for e in events
    ]
    return JSONResponse(body, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(body))})
