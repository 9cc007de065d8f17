"""TMF621 Trouble Ticket at /tmf-api/troubleTicket/v4/troubleTicket: thin HTTP over the order services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from manyi.api.body import MERGE_PATCH, json_object
from manyi.api.query import parse_fields, parse_list_query, select_fields
from manyi.api.urls import public_base
from manyi.auth.deps import Ctx, ctx
from manyi.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from manyi.core.limits import is_whole_number
from manyi.core.masking import mask_values
from manyi.customers.models import Customer, Subscription
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.orders.queries import viewer_of, visible_order
from manyi.orders.tmf.documents import BASE, SCHEMA_PATH, documents
from manyi.orders.tmf.filters import scoped
from manyi.orders.tmf.patch import apply_patch, check_note_type
from manyi.orders.tmf.schemas import (
    TroubleTicketCreate,
    TroubleTicketOut,
    TroubleTicketUpdate,
    ticket_json_schema,
)
from manyi.org.default_region import default_region

router = APIRouter(prefix="/tmf-api/troubleTicket/v4", tags=["TMF621 troubleTicket 工单"])
schema_router = APIRouter(tags=["TMF extension schemas 扩展模式"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text}
    for code, text in {
        400: "Bad request / 请求有误",
        401: "Not authenticated / 未登录",
        403: "Not allowed for your role / 角色无权限",
        404: "Not found (or outside your regions) / 不存在或不在您的区域内",
        409: "Illegal transition / 状态不允许",
        412: "Changed by someone else (stale If-Match) / 已被他人修改",
    }.items()
}


def _etag(order: WorkOrder) -> str:
    return f'"{order.version}"'


def _one(c: Ctx, number: str) -> WorkOrder:
    order = visible_order(c.session, viewer_of(c.session, c.principal), number=number)
    if order is None:  # missing, deleted or outside the caller's regions look the same
        raise NotFound(f"trouble ticket {number} does not exist")
    return order


def _pii_masked(c: Ctx, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without pii:read, phone and ID numbers anywhere in a ticket (typed into its description, name,
    notes or reasons) are masked."""
    return docs if c.principal.can("pii:read") else [mask_values(d) for d in docs]


def _reply(
    c: Ctx, request: Request, order: WorkOrder, status: int = 200, fields: frozenset[str] | None = None
) -> JSONResponse:
    doc = select_fields(
        _pii_masked(c, documents(c.session, [order], fields, base_url=public_base(request)))[0], fields
    )
    headers = {"ETag": _etag(order)}
    if status == 201:
        headers["Location"] = f"{BASE}/{order.number}"
    return JSONResponse(doc, status_code=status, headers=headers)


@router.post(
    "/troubleTicket",
    status_code=201,
    summary="Create a trouble ticket / 新建工单",
    description="Records a customer request as a work order owned by the caller (首问责任制), routes it to a "
    "team and starts its SLA clocks. Send `Idempotency-Key` (or an `externalId` known for the channel) so a "
    "retry returns the ticket already made. Without `region` and a customer, the region is the API key's "
    "default region or the caller's only region; otherwise the ticket waits in the triage region "
    "(`regionPending: true`) until a dispatcher sets it.\n\n"
    "受理客户诉求：创建人即首问责任人；自动派单并启动时限。未给出区域时取接口密钥的默认区域或本人唯一区域，"
    "否则进入待定区域，由调度员指定。",
    response_model=TroubleTicketOut,
    responses=ERRORS,
)
def create_ticket(
    request: Request,
    c: Annotated[Ctx, Depends(ctx)],
    body: Annotated[TroubleTicketCreate, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> JSONResponse:
    c.require("ticket:create")
    for note in body.note:
        check_note_type(note, at_creation=True)
    customer_id = subscription_id = parent_id = None
    region_code = body.region.id if body.region else None
    for party in body.related_party:
        if (party.role or "").lower() == "customer" or party.referred_type == "Customer":
            customer = _customer(c, party.id)
            if customer is None or not _visible(c, customer.region_code):
                raise ValidationFailed(
                    f"relatedParty: customer {party.id} does not exist", field="relatedParty"
                )
            customer_id, region_code = customer.id, region_code or customer.region_code
    for entity in body.related_entity:
        subscription_key = _db_id(entity.id)
        subscription = c.session.get(Subscription, subscription_key) if subscription_key is not None else None
        if subscription is None or (customer_id is not None and subscription.customer_id != customer_id):
            raise ValidationFailed(
                f"relatedEntity: {entity.id} is not a subscription of the ticket's customer",
                field="relatedEntity",
            )
        subscription_id = subscription.id
    for rel in body.trouble_ticket_relationship:
        if rel.relationship_type != "isChildOf":
            raise ValidationFailed(
                "troubleTicketRelationship: only relationshipType isChildOf can be given at creation",
                field="troubleTicketRelationship",
            )
        parent = visible_order(c.session, viewer_of(c.session, c.principal), number=rel.id)
        if parent is None:
            raise ValidationFailed(
                f"troubleTicketRelationship: ticket {rel.id} does not exist",
                field="troubleTicketRelationship",
            )
        parent_id = parent.id
    pending = False
    if region_code is None:  # a client that knows only the standard sends no region
        chosen = default_region(
            c.session,
            caller_regions=c.principal.regions,
            scope=c.scope(),
            key_default=c.principal.default_region,
        )
        region_code, pending = chosen.code, chosen.pending
    if not _visible(c, region_code):
        raise PermissionDenied(f"region {region_code} is outside the regions you may work in")
    priority = _priority(body.priority) if body.priority is not None else 3
    order = service.create_order(
        c.session,
        type=body.ticket_type,
        description=body.description,
        channel=body.channel.id if body.channel else "web",
        region_code=region_code,
        category_code=body.category.id if body.category else None,
        customer_id=customer_id,
        subscription_id=subscription_id,
        priority=priority,
        severity=body.severity,
        title=body.name,
        actor_id=c.principal.user_id,
        parent_id=parent_id,
        external_id=body.external_id,
        idempotency_key=idempotency_key,
        region_pending=pending,
    )
    if order.created_by_id == c.principal.user_id and order.note_count == 0:  # not on an idempotent replay
        for note in body.note:
            service.add_note(c.session, order_id=order.id, text=note.text, actor_id=c.principal.user_id)
    return _commit(c, _reply(c, request, order, 201))


def _commit(c: Ctx, response: JSONResponse) -> JSONResponse:
    # Rendered inside the transaction that made the change (no second transaction to read it back);
    # sent only once the commit succeeded.
    c.session.commit()
    return response


def _visible(c: Ctx, region_code: str | None) -> bool:
    scope = c.scope()
    return scope is None or region_code in scope


def _int(value: str, field: str) -> int:
    if not is_whole_number(value, low=1):
        raise ValidationFailed(f"{field}: expected a numeric id, got {value!r}", field=field)
    return int(value)


def _customer(c: Ctx, key: str) -> Customer | None:
    """The customer a relatedParty names: by its TMF629 id, else by its customer number (the
    engagedParty.id a client gave it, such as the client's own UUID). Erased customers are gone."""
    number = _db_id(key)
    customer = c.session.get(Customer, number) if number is not None else None
    if customer is None:
        customer = c.session.scalars(select(Customer).where(Customer.customer_no == key)).first()
    return customer if customer is not None and customer.erased_at is None else None


def _db_id(value: str) -> int | None:
    """A TMF id naming one of our rows: ASCII digits within the id column's range, else None (an id
    of any other shape names nothing here; int('²') and 30-digit numbers must not reach the database)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _priority(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(
            f"priority: expected 1 (highest) to 4 (lowest), got {value!r}", field="priority"
        ) from None


@router.get(
    "/troubleTicket",
    summary="List trouble tickets / 查询工单",
    description="TMF630 conventions: `fields`, `offset`, `limit`, `sort` (`-creationDate`), attribute filters "
    "with `.gt/.gte/.lt/.lte` and comma OR-lists, e.g. `status=inProgress,pending&team.id=3&slaBreached=true`. "
    "Only tickets of the caller's regions are listed. `X-Total-Count` is exact.\n\n"
    "支持字段选择、分页、排序与过滤；仅返回您所辖区域的工单。",
    response_model=list[TroubleTicketOut],
    responses=ERRORS,
)
def list_tickets(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("ticket:read")
    query = parse_list_query(request.query_params)
    statement = scoped(c, select(WorkOrder), query)
    total = c.session.scalar(scoped(c, select(func.count()).select_from(WorkOrder), query, sort=False)) or 0
    orders = list(c.session.scalars(statement.offset(query.offset).limit(query.limit)))
    base = public_base(request)
    docs = [
        select_fields(d, query.fields)
        for d in _pii_masked(c, documents(c.session, orders, query.fields, base_url=base))
    ]
    return JSONResponse(docs, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(docs))})


@router.get(
    "/troubleTicket/{id}",
    summary="Get a trouble ticket / 查看工单",
    response_model=TroubleTicketOut,
    responses=ERRORS,
)
def get_ticket(
    id: str, request: Request, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None
) -> JSONResponse:
    c.require("ticket:read")
    return _reply(c, request, _one(c, id), fields=parse_fields(fields))


@router.patch(
    "/troubleTicket/{id}",
    summary="Update a trouble ticket / 更新工单",
    description="`application/merge-patch+json`. Change `status` (with `statusChangeReason`; resolving needs "
    "`resolutionCode`; `inProgress` starts work and is not a contact), `description`, `name`, `priority`, "
    "`severity`, add `note`s (a note of `@type` `ContactAttemptNote` with `outcome` reached | not_reached | "
    "wrong_number records a contact attempt), record the callback of a resolved ticket with `callbackResult`, "
    "assign with a `relatedParty` of role `assignee`, transfer with `team`, set the `region` of a ticket "
    "awaiting it. Send `If-Match` with the ETag to refuse a stale update (412). Read-only fields are refused "
    "with 400.\n\n"
    "状态变更、补充说明、联系记录、回访结果、指派、转派、设定待定区域；带 If-Match 防止覆盖他人修改。",
    response_model=TroubleTicketOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {MERGE_PATCH: {"schema": TroubleTicketUpdate.model_json_schema(by_alias=True)}},
        }
    },
)
async def patch_ticket(
    id: str,
    request: Request,
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    # The TMF621 swagger declares application/json for every operation, so a client generated from it
    # sends that; its body is a merge patch all the same. JSON Patch and others are refused.
    patch = await json_object(request, media_types=(MERGE_PATCH, "application/json"))
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_patch, c, request, id, patch, if_match)


def _patch(c: Ctx, request: Request, number: str, patch: dict[str, Any], if_match: str | None) -> Response:
    c.require("ticket:update")
    order = _one(c, number)
    if if_match is not None and if_match.strip() not in ("*", _etag(order), _etag(order).strip('"')):
        raise StaleVersion(f"trouble ticket {number} was changed since {if_match} (now {_etag(order)})")
    apply_patch(c, order, patch)
    c.session.flush()
    return _commit(c, _reply(c, request, order))


@router.delete(
    "/troubleTicket/{id}",
    status_code=204,
    summary="Delete a trouble ticket / 删除工单",
    description="Cancels the ticket if still open and hides it; its history is kept for audit.\n\n"
    "撤销并隐藏工单，历史记录保留备查。",
    responses=ERRORS,
)
def delete_ticket(
    id: str, c: Annotated[Ctx, Depends(ctx)], if_match: Annotated[str | None, Header(alias="If-Match")] = None
) -> Response:
    c.require("ticket:delete")
    order = _one(c, id)
    if if_match is not None and if_match.strip() not in ("*", _etag(order), _etag(order).strip('"')):
        raise StaleVersion(f"trouble ticket {id} was changed since {if_match}")
    service.delete_order(c.session, order_id=order.id, actor_id=c.principal.user_id)
    c.session.commit()
    return Response(status_code=204)


@schema_router.get(
    SCHEMA_PATH,
    summary="The ManyiTroubleTicket schema / 工单扩展模式",
    description="The JSON Schema a ticket's `@schemaLocation` names (no authentication needed).",
)
def trouble_ticket_schema() -> JSONResponse:
    return JSONResponse(ticket_json_schema())
