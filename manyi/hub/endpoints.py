"""TMF688-pattern hubs of TMF621 and TMF629: register and remove event listeners. Thin HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response
from fastapi.responses import JSONResponse

from manyi.auth.deps import Ctx, ctx
from manyi.hub import service
from manyi.hub.models import HubSubscription
from manyi.hub.schemas import EventSubscription, EventSubscriptionInput

router = APIRouter(tags=["TMF688 hub 事件订阅"])
TICKET_BASE = "/tmf-api/troubleTicket/v4"
CUSTOMER_BASE = "/tmf-api/customerManagement/v4"
REGISTER_DESCRIPTION = (
    "Registers a listener. After each change commits, the matching events are POSTed to "
    "`{callback}/listener/{eventName}` (e.g. `…/listener/{first}`): at least once, in order per "
    "resource, with an `eventId` that stays the same across retries, so drop an `eventId` you have "
    "already processed. `query` filters by `eventType=A,B` and `event.{resource}.<attribute>=value` "
    "(joined by `&`). Registering the same callback and query again returns the existing listener.\n\n"
    "注册事件监听：变更提交后把匹配的事件推送到 `{callback}/listener/{eventName}`；至少一次、按资源保序，"
    "重试时 `eventId` 不变，请按 `eventId` 去重。"
)
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such listener / 订阅不存在"},
    400: {"description": "Invalid callback or query / 回调地址或过滤条件不合法"},
}


def _reply(base: str, subscription: HubSubscription) -> JSONResponse:
    doc = {"id": subscription.id, "callback": subscription.callback}
    if subscription.query:
        doc["query"] = subscription.query
    return JSONResponse(doc, status_code=201, headers={"Location": f"{base}/hub/{subscription.id}"})


def _register(c: Ctx, api: str, body: EventSubscriptionInput) -> HubSubscription:
    c.require("hub:manage")
    c.require("pii:read")  # event documents carry unmasked phone and ID numbers
    return service.subscribe(
        c.session, api=api, callback=body.callback, query=body.query, actor_id=c.principal.user_id
    )


@router.post(
    f"{TICKET_BASE}/hub",
    status_code=201,
    summary="Register a trouble-ticket event listener / 订阅工单事件",
    description=REGISTER_DESCRIPTION.replace("{first}", "troubleTicketCreateEvent").replace(
        "{resource}", "troubleTicket"
    ),
    response_model=EventSubscription,
    responses=ERRORS,
)
def register_ticket_listener(
    c: Annotated[Ctx, Depends(ctx)], body: Annotated[EventSubscriptionInput, Body()]
) -> JSONResponse:
    return _reply(TICKET_BASE, _register(c, "troubleTicket", body))


@router.delete(
    f"{TICKET_BASE}/hub/{{id}}",
    status_code=204,
    summary="Remove a trouble-ticket event listener / 取消工单事件订阅",
    description="Stops the listener's events, including those not yet delivered.\n\n"
    "取消订阅，尚未送达的事件也不再推送。",
    responses=ERRORS,
)
def unregister_ticket_listener(c: Annotated[Ctx, Depends(ctx)], id: str) -> Response:
    c.require("hub:manage")
    service.unsubscribe(c.session, api="troubleTicket", subscription_id=id)
    return Response(status_code=204)


@router.post(
    f"{CUSTOMER_BASE}/hub",
    status_code=201,
    summary="Register a customer event listener / 订阅客户事件",
    description=REGISTER_DESCRIPTION.replace("{first}", "customerCreateEvent").replace(
        "{resource}", "customer"
    ),
    response_model=EventSubscription,
    responses=ERRORS,
)
def register_customer_listener(
    c: Annotated[Ctx, Depends(ctx)], body: Annotated[EventSubscriptionInput, Body()]
) -> JSONResponse:
    return _reply(CUSTOMER_BASE, _register(c, "customer", body))


@router.delete(
    f"{CUSTOMER_BASE}/hub/{{id}}",
    status_code=204,
    summary="Remove a customer event listener / 取消客户事件订阅",
    description="Stops the listener's events, including those not yet delivered.\n\n"
    "取消订阅，尚未送达的事件也不再推送。",
    responses=ERRORS,
)
def unregister_customer_listener(c: Annotated[Ctx, Depends(ctx)], id: str) -> Response:
    c.require("hub:manage")
    service.unsubscribe(c.session, api="customer", subscription_id=id)
    return Response(status_code=204)
