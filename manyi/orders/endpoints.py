"""TMF621 Trouble Ticket at /tmf-api/troubleTicket/v4/troubleTicket: thin HTTP over the order services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from manyi.api.body import MERGE_PATCH, json_object
from manyi.api.deps import Ctx, ctx
from manyi.api.query import parse_fields, parse_list_query, select_fields
from manyi.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from manyi.core.masking import mask_values
from manyi.customers.models import Customer, Subscription
from manyi.orders import service
from manyi.orders.filters import scoped
from manyi.orders.models import WorkOrder
from manyi.orders.tmf import BASE, documents
from manyi.orders.tmf_schemas import TroubleTicketCreate, TroubleTicketOut, TroubleTicketUpdate
from manyi.orders.updates import apply_patch

router = APIRouter(prefix="/tmf-api/troubleTicket/v4", tags=["TMF621 troubleTicket 工单"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text}
    for code, text in {
        400: "Bad request / 请求有误",
        401: "Not authenticated / 未登录",
        403: "Not allowed for your role / 角色无权限",
        404: "Not found (or outside your regions) / 不存在或不在您的区域内",
        409: "Illegal transition / 状态不允许",
        412: "Changed by someone else (stale If-Match) / 已被他人修改",
        422: "Invalid value / 数据不合法",
    }.items()
}


def _etag(order: WorkOrder) -> str:
    return f'"{order.version}"'


def _one(c: Ctx, number: str) -> WorkOrder:
    order = c.session.scalars(select(WorkOrder).where(WorkOrder.number == number)).first()
    if order is None or order.deleted_at is not None:
        raise NotFound(f"trouble ticket {number} does not exist")
    c.check_region(order.region_code, f"trouble ticket {number}")
    return order


def _pii_masked(c: Ctx, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without pii:read, phone and ID numbers anywhere in a ticket (typed into its description, name,
    notes or reasons) are masked."""
    return docs if c.principal.can("pii:read") else [mask_values(d) for d in docs]


def _reply(c: Ctx, order: WorkOrder, status: int = 200, fields: frozenset[str] | None = None) -> JSONResponse:
    doc = select_fields(_pii_masked(c, documents(c.session, [order], fields))[0], fields)
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
    "retry returns the ticket already made.\n\n受理客户诉求：创建人即首问责任人；自动派单并启动时限。",
    response_model=TroubleTicketOut,
    responses=ERRORS,
)
def create_ticket(
    c: Annotated[Ctx, Depends(ctx)],
    body: Annotated[TroubleTicketCreate, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> JSONResponse:
    c.require("ticket:create")
    customer_id = subscription_id = parent_id = None
    region_code = body.region.id if body.region else None
    for party in body.related_party:
        if (party.role or "").lower() == "customer" or party.referred_type == "Customer":
            customer = c.session.get(Customer, _int(party.id, "relatedParty.id"))
            if customer is None or not _visible(c, customer.region_code):
                raise ValidationFailed(
                    f"relatedParty: customer {party.id} does not exist", field="relatedParty"
                )
            customer_id, region_code = customer.id, region_code or customer.region_code
    for entity in body.related_entity:
        subscription = c.session.get(Subscription, _int(entity.id, "relatedEntity.id"))
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
        parent = c.session.scalars(select(WorkOrder).where(WorkOrder.number == rel.id)).first()
        if parent is None or parent.deleted_at is not None or not _visible(c, parent.region_code):
            raise ValidationFailed(
                f"troubleTicketRelationship: ticket {rel.id} does not exist",
                field="troubleTicketRelationship",
            )
        parent_id = parent.id
    if region_code is None:
        raise ValidationFailed(
            "region: give region.id, or a relatedParty with role customer (whose region is used)",
            field="region",
        )
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
    )
    if order.created_by_id == c.principal.user_id and order.note_count == 0:  # not on an idempotent replay
        for note in body.note:
            service.add_note(c.session, order_id=order.id, text=note.text, actor_id=c.principal.user_id)
    return _commit(c, _reply(c, order, 201))


def _commit(c: Ctx, response: JSONResponse) -> JSONResponse:
    # Rendered inside the transaction that made the change (no second transaction to read it back);
    # sent only once the commit succeeded.
    c.session.commit()
    return response


def _visible(c: Ctx, region_code: str | None) -> bool:
    scope = c.scope()
    return scope is None or region_code in scope


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(f"{field}: expected a numeric id, got {value!r}", field=field) from None


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
    docs = [
        select_fields(d, query.fields) for d in _pii_masked(c, documents(c.session, orders, query.fields))
    ]
    return JSONResponse(docs, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(docs))})


@router.get(
    "/troubleTicket/{id}",
    summary="Get a trouble ticket / 查看工单",
    response_model=TroubleTicketOut,
    responses=ERRORS,
)
def get_ticket(id: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    c.require("ticket:read")
    return _reply(c, _one(c, id), fields=parse_fields(fields))


@router.patch(
    "/troubleTicket/{id}",
    summary="Update a trouble ticket / 更新工单",
    description="`application/merge-patch+json`. Change `status` (with `statusChangeReason`; resolving needs "
    "`resolutionCode`), `description`, `name`, `priority`, `severity`, add `note`s, assign with a `relatedParty` "
    "of role `assignee`, transfer with `team`. Send `If-Match` with the ETag to refuse a stale update (412). "
    "Read-only fields are refused with 400.\n\n状态变更、补充说明、指派、转派；带 If-Match 防止覆盖他人修改。",
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

    return await run_in_threadpool(_patch, c, id, patch, if_match)


def _patch(c: Ctx, number: str, patch: dict[str, Any], if_match: str | None) -> Response:
    c.require("ticket:update")
    order = _one(c, number)
    if if_match is not None and if_match.strip() not in ("*", _etag(order), _etag(order).strip('"')):
        raise StaleVersion(f"trouble ticket {number} was changed since {if_match} (now {_etag(order)})")
    apply_patch(c, order, patch)
    c.session.flush()
    return _commit(c, _reply(c, order))


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
