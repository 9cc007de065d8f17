"""`/api/v1/troubleTickets/{number}/partner`: give a ticket to a channel partner (代销点) or take it
back (TMF621 has no such operation). The ticket's `partnerOrganization` extension shows the result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from manyi.auth.deps import Ctx, ctx
from manyi.core.errors import NotFound
from manyi.orders.models import WorkOrder
from manyi.orders.partner_orders import PERMISSION, give_to_partner, take_back_from_partner
from manyi.orders.queries import viewer_of, visible_order
from manyi.org.reference import organisation_index

router = APIRouter(prefix="/api/v1/troubleTickets", tags=["Channel partners 代销点"])
HELP = (
    "Needs `ticket:partner` (dispatchers, supervisors, admins, integrated systems); a channel partner's own "
    "staff are refused. A ticket outside your regions or partner scope answers 404. Each change is an event "
    "in the ticket's history (`partner_given`, `partner_taken_back`).\n\n"
)


class GiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization: int = Field(description="id of an active channel-partner organisation / 代销点组织编号")
    reason: str | None = Field(None, max_length=500, description="why / 原因")


def _visible(c: Ctx, number: str) -> WorkOrder:
    order = visible_order(c.session, viewer_of(c.session, c.principal), number=number)
    if order is None:  # missing, deleted or outside the caller's regions or partner scope look the same
        raise NotFound(f"trouble ticket {number} does not exist")
    return order


def _reply(c: Ctx, order: WorkOrder) -> JSONResponse:
    org = organisation_index(c.session).get(order.partner_org_id) if order.partner_org_id else None
    body = {
        "id": order.number,
        "partnerOrganization": {"id": str(org.id), "name": org.name} if org else None,
        "version": order.version,
    }
    c.session.commit()
    return JSONResponse(body)


@router.put(
    "/{number}/partner",
    summary="Give a ticket to a channel partner / 将工单交给代销点",
    description=HELP + "代销点员工只能查看和处理本组织创建或被交办的工单。",
)
def give(number: str, c: Annotated[Ctx, Depends(ctx)], body: Annotated[GiveIn, Body()]) -> JSONResponse:
    c.require(PERMISSION)
    order = _visible(c, number)
    give_to_partner(
        c.session,
        order_id=order.id,
        organisation_id=body.organization,
        actor_id=c.principal.user_id,
        reason=body.reason,
    )
    return _reply(c, order)


@router.delete(
    "/{number}/partner",
    summary="Take a ticket back from its channel partner / 收回交给代销点的工单",
    description=HELP + "收回后，代销点仅能看到其自己创建的工单。",
)
def take_back(
    number: str,
    c: Annotated[Ctx, Depends(ctx)],
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> JSONResponse:
    c.require(PERMISSION)
    order = _visible(c, number)
    take_back_from_partner(c.session, order_id=order.id, actor_id=c.principal.user_id, reason=reason)
    return _reply(c, order)
