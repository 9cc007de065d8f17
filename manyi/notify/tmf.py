"""TMF681 Communication Message at /tmf-api/communicationManagement/v4/communicationMessage: send an
SMS (POST), list with filters, read one and its state. A sent message goes through the same queue,
rules and worker as Manyi's own (quiet hours unless priority "0", opt-out, daily limit, de-dup).

State: initial (queued), inProgress (claimed or accepted by the gateway), completed (delivered, by
receipt), failed, cancelled (a rule stopped it; the `manyiStatus` characteristic says which).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from manyi.api.query import Attribute, apply, parse_datetime, parse_list_query, select_fields
from manyi.auth.deps import Ctx, ctx
from manyi.auth.service import in_scope
from manyi.core.errors import NotFound, ValidationFailed
from manyi.core.masking import mask_phone
from manyi.customers.models import Customer
from manyi.notify.messages import queue_message
from manyi.notify.models import NotifyMessage

BASE = "/tmf-api/communicationManagement/v4/communicationMessage"
router = APIRouter(prefix="/tmf-api/communicationManagement/v4", tags=["TMF681 communication 消息"])
STATE = {
    "queued": "initial",
    "sending": "inProgress",
    "submitted": "inProgress",
    "delivered": "completed",
    "failed": "failed",
    "suppressed": "cancelled",
}
STATUSES_OF = {state: tuple(s for s, t in STATE.items() if t == state) for state in set(STATE.values())}


class Receiver(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = Field(default=None, max_length=64)
    phoneNumber: str | None = Field(default=None, max_length=32)


class Sender(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = Field(default=None, max_length=64)


class CommunicationMessageCreate(BaseModel):
    """TMF681 CommunicationMessage_Create: content, messageType, receiver and sender are required."""

    model_config = ConfigDict(extra="allow")
    content: str = Field(min_length=1, max_length=1000)
    messageType: str = Field(max_length=16)
    receiver: list[Receiver] = Field(min_length=1, max_length=1)
    sender: Sender
    priority: str | None = Field(default=None, max_length=4)
    subject: str | None = Field(default=None, max_length=200)
    scheduledSendTime: datetime | None = None


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def document(message: NotifyMessage, customer_no: str | None, *, pii: bool) -> dict[str, Any]:
    receiver: dict[str, Any] = {
        "phoneNumber": message.address if pii else mask_phone(message.address),
        "@type": "Receiver",
    }
    if customer_no:
        receiver["id"] = customer_no
    characteristic = [
        {"name": "manyiStatus", "value": message.status, "valueType": "string"},
        {"name": "segments", "value": message.segments, "valueType": "integer"},
        {"name": "event", "value": message.event, "valueType": "string"},
    ]
    if message.error_code:
        characteristic.append(
            {"name": "gatewayErrorCode", "value": message.error_code, "valueType": "string"}
        )
    doc: dict[str, Any] = {
        "id": str(message.id),
        "href": f"{BASE}/{message.id}",
        "content": message.text,
        "messageType": "SMS",
        "priority": "0" if message.urgent else "1",
        "state": STATE.get(message.status, "initial"),
        "tryTimes": message.attempts,
        "receiver": [receiver],
        "sender": {"name": "满意客服", "@type": "Sender"},
        "characteristic": characteristic,
        "@type": "CommunicationMessage",
    }
    for key, value in (
        ("scheduledSendTime", _when(message.available_at if message.status == "queued" else None)),
        ("sendTime", _when(message.submitted_at)),
        ("sendTimeComplete", _when(message.delivered_at)),
        ("subject", message.subject),
    ):
        if value is not None:
            doc[key] = value
    return doc


def _visible(c: Ctx) -> Any:
    """Messages of customers in the caller's regions (all for an unscoped caller)."""
    scope = c.scope()
    query = select(NotifyMessage, Customer.customer_no).outerjoin(
        Customer, Customer.id == NotifyMessage.customer_id
    )
    query = query.where(NotifyMessage.channel == "sms")
    if scope is not None:
        query = query.where(Customer.region_code.in_(scope))
    return query


ATTRIBUTES = {
    "state": Attribute(
        NotifyMessage.status,
        custom=lambda _op, values: or_(
            *(NotifyMessage.status.in_(STATUSES_OF.get(v, ("-",))) for v in values)
        ),
    ),
    "messageType": Attribute(
        NotifyMessage.channel, custom=lambda _op, values: NotifyMessage.channel == "sms"
    ),
    "receiver.phoneNumber": Attribute(NotifyMessage.address),
    "receiver.id": Attribute(Customer.customer_no),
    "sendTime": Attribute(NotifyMessage.submitted_at, parse=parse_datetime, comparable=True),
}


@router.get("/communicationMessage", summary="List messages / 查询消息")
def list_messages(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    """Filters: state, messageType, receiver.phoneNumber, receiver.id (customer number), sendTime.gte/lte."""
    c.require("message:read")
    query = parse_list_query(request.query_params)
    statement = apply(_visible(c), ATTRIBUTES, query)
    total = c.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = c.session.execute(
        statement.order_by(NotifyMessage.id.desc()).offset(query.offset).limit(query.limit)
    ).all()
    pii = c.principal.can("pii:read")
    body = [select_fields(document(m, number, pii=pii), query.fields) for m, number in rows]
    return JSONResponse(body, headers={"X-Total-Count": str(total or 0), "X-Result-Count": str(len(body))})


@router.get("/communicationMessage/{id}", summary="A message and its state / 消息及其状态")
def get_message(id: str, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("message:read")
    found = None
    if id.isascii() and id.isdigit() and len(id) < 19:
        found = c.session.execute(_visible(c).where(NotifyMessage.id == int(id))).first()
    if found is None:
        raise NotFound(f"communicationMessage {id} does not exist")
    message, number = found
    return JSONResponse(document(message, number, pii=c.principal.can("pii:read")))


@router.post("/communicationMessage", status_code=201, summary="Send an SMS / 发送短信")
def send_message(body: CommunicationMessageCreate, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    """messageType SMS; one receiver with its phoneNumber (or id: a customer number); priority "0" is an
    urgent service notice that passes quiet hours, opt-out and the daily limit."""
    c.require("message:send")
    if body.messageType.upper() != "SMS":
        raise ValidationFailed(f"messageType: Manyi sends SMS, got {body.messageType!r}", field="messageType")
    target = body.receiver[0]
    customer = None
    if target.id:
        customer = c.session.scalars(select(Customer).where(Customer.customer_no == target.id)).first()
        # Outside the caller's regions a customer is as unknown as a missing one (nothing leaks).
        if customer is None or not in_scope(c.session, c.principal, customer.region_code):
            raise ValidationFailed(f"receiver.id: no customer {target.id!r}", field="receiver.id")
    elif c.scope() is not None:
        raise ValidationFailed(
            "receiver.id: a caller limited to regions sends to a customer number, not a bare phone number",
            field="receiver.id",
        )
    phone = target.phoneNumber or (customer.phone if customer else None)
    if not phone:
        raise ValidationFailed(
            "receiver.phoneNumber: required (or receiver.id of a customer with a phone)",
            field="receiver.phoneNumber",
        )
    message = queue_message(
        c.session,
        channel="sms",
        event="tmf681",
        address=phone,
        text=body.content,
        at=body.scheduledSendTime,
        subject=body.subject,
        customer_id=customer.id if customer else None,
        urgent=body.priority == "0",
    )
    c.session.flush()
    doc = document(message, customer.customer_no if customer else None, pii=c.principal.can("pii:read"))
    return JSONResponse(doc, status_code=201, headers={"Location": f"{BASE}/{message.id}"})
