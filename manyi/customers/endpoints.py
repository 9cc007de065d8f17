"""TMF629 Customer at /tmf-api/customerManagement/v4/customer: thin HTTP over the customer services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, false, func, select

from manyi.api.body import MERGE_PATCH, json_object
from manyi.api.deps import Ctx, ctx
from manyi.api.errors import ApiError
from manyi.api.query import (
    Attribute,
    apply,
    order_by,
    parse_fields,
    parse_int,
    parse_list_query,
    select_fields,
)
from manyi.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from manyi.customers import service
from manyi.customers.models import Customer
from manyi.customers.tmf import BASE, changes_from, documents
from manyi.org.reference import region_chain, region_index

router = APIRouter(prefix="/tmf-api/customerManagement/v4", tags=["TMF629 customer 客户"])
BODY_SCHEMA = {
    "type": "object",
    "description": "TMF629 Customer_Create / Customer_Update",
    "additionalProperties": True,
}


def _one(c: Ctx, customer_id: str) -> Customer:
    # ASCII digits only ('²'.isdigit() is true) and within the id column's range.
    valid = customer_id.isascii() and customer_id.isdigit() and len(customer_id) < 10
    customer = c.session.get(Customer, int(customer_id)) if valid else None
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    c.check_region(customer.region_code, f"customer {customer_id}")
    return customer


def _reply(
    c: Ctx, customer: Customer, status: int = 200, fields: frozenset[str] | None = None
) -> JSONResponse:
    doc = select_fields(documents(c.session, [customer], pii=c.principal.can("pii:read"))[0], fields)
    headers = {"ETag": f'"{customer.version}"'}
    if status == 201:
        headers["Location"] = f"{BASE}/{customer.id}"
    return JSONResponse(doc, status_code=status, headers=headers)


async def _json(request: Request, *, patch: bool) -> dict[str, Any]:
    return await json_object(
        request, media_types=(MERGE_PATCH, "application/json") if patch else ("application/json",)
    )


@router.post(
    "/customer",
    status_code=201,
    summary="Create a customer / 新建客户",
    description="TMF629 Customer_Create: `name` and `engagedParty` are required; brand, vipLevel, listFlag and "
    "idNumber as `characteristic`s, the mobile number as a `contactMedium`, Manyi's `region` {id}.\n\n"
    "新建客户：品牌、星级、红蓝名单、证件号以特征值给出，手机号以联系方式给出。",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": BODY_SCHEMA}}}
    },
)
async def create_customer(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    body = await _json(request, patch=False)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_create, c, body)


def _create(c: Ctx, body: dict[str, Any]) -> JSONResponse:
    c.require("customer:write")
    if not isinstance(body.get("engagedParty"), dict):
        raise ApiError(
            400, 'engagedParty: required (the person: {"name": ..., "@referredType": "Individual"})'
        )
    party = body["engagedParty"]
    if party.get("id") is not None and not isinstance(party.get("id"), str):
        raise ApiError(
            400, "engagedParty.id: expected a string (the customer number)", field="engagedParty.id"
        )
    if party.get("@referredType", "Individual") != "Individual":
        raise ApiError(
            422, "engagedParty.@referredType: only Individual customers are supported", field="engagedParty"
        )
    changes = changes_from({k: v for k, v in body.items() if k not in ("engagedParty", "status")})
    if "name" not in changes:
        raise ApiError(400, "name: required", field="name")
    region = changes.pop("region_code", None)
    if region is None:
        raise ValidationFailed("region: give region.id, the customer's district", field="region")
    scope = c.scope()
    if scope is not None and region not in scope:
        raise PermissionDenied(f"region {region} is outside the regions you may work in")
    reason = changes.pop("list_flag_reason", None)
    customer = service.create_customer(
        c.session,
        name=changes.pop("name"),
        brand=changes.pop("brand", "easyown"),
        region_code=region,
        customer_no=body["engagedParty"].get("id"),
        actor_id=c.principal.user_id,
        reason=reason,
        **changes,
    )
    response = _reply(c, customer, 201)  # rendered in the same transaction, sent once committed
    c.session.commit()
    return response


def _phone_filter(c: Ctx) -> Any:
    def clause(op: str, values: tuple[Any, ...]) -> ColumnElement[bool]:
        if not c.principal.can("pii:read"):
            raise PermissionDenied("searching by phone number needs the pii:read permission")
        return Customer.phone.in_(values)

    return clause


@router.get(
    "/customer",
    summary="List customers / 查询客户",
    description="TMF630 conventions. Filters: `name`, `brand`, `vipLevel` (with .gte etc.), `listFlag`, "
    "`region.id` (a region and everything under it), `engagedParty.id` (customer number), `phoneNumber` "
    "(needs pii:read). Only customers of the caller's regions are listed.\n\n按姓名、品牌、星级、区域、手机号查询客户。",
)
def list_customers(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("customer:read")
    query = parse_list_query(request.query_params)
    index = region_index(c.session)

    def region(op: str, values: tuple[Any, ...]) -> ColumnElement[bool]:
        codes = [code for code in index if set(values).intersection(region_chain(c.session, code))]
        return Customer.region_code.in_(codes) if codes else false()

    attributes = {
        "id": Attribute(Customer.id, parse=parse_int),
        "name": Attribute(Customer.name),
        "brand": Attribute(Customer.brand),
        "vipLevel": Attribute(Customer.vip_level, parse=parse_int, comparable=True),
        "listFlag": Attribute(Customer.list_flag),
        "engagedParty.id": Attribute(Customer.customer_no),
        "region.id": Attribute(Customer.region_code, custom=region),
        "phoneNumber": Attribute(Customer.phone, custom=_phone_filter(c)),
    }
    statement = select(Customer)
    count = select(func.count()).select_from(Customer)
    scope = c.scope()
    if scope is not None:
        statement = statement.where(Customer.region_code.in_(sorted(scope)))
        count = count.where(Customer.region_code.in_(sorted(scope)))
    statement, count = apply(statement, attributes, query), apply(count, attributes, query)
    total = c.session.scalar(count) or 0
    rows = list(
        c.session.scalars(
            order_by(statement, attributes, query, Customer.id).offset(query.offset).limit(query.limit)
        )
    )
    docs = [
        select_fields(d, query.fields) for d in documents(c.session, rows, pii=c.principal.can("pii:read"))
    ]
    return JSONResponse(docs, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(docs))})


@router.get("/customer/{id}", summary="Get a customer / 查看客户")
def get_customer(id: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    c.require("customer:read")
    return _reply(c, _one(c, id), fields=parse_fields(fields))


@router.patch(
    "/customer/{id}",
    summary="Update a customer / 更新客户",
    description="`application/merge-patch+json`: name, contactMedium (mobile number), characteristic (brand, "
    "vipLevel, listFlag with its listFlagReason), region. Setting or clearing listFlag needs the customer:flag "
    "permission and a listFlagReason; the other fields customer:write. Every change is kept in the customer's "
    "history (`/api/v1/customers/{id}/history`). `If-Match` with the ETag refuses a stale update (412).\n\n"
    "更新客户资料；红/蓝名单变更需相应权限并说明原因，所有变更记入客户历史。",
    openapi_extra={"requestBody": {"required": True, "content": {MERGE_PATCH: {"schema": BODY_SCHEMA}}}},
)
async def patch_customer(
    id: str,
    request: Request,
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    body = await _json(request, patch=True)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_patch, c, id, body, if_match)


def _patch(c: Ctx, customer_id: str, body: dict[str, Any], if_match: str | None) -> JSONResponse:
    # customer:flag alone may ask for a red/blue list change (the service checks it is made with
    # that right and a reason); anything else needs customer:write, changed or not.
    if not c.principal.can("customer:flag") or set(changes_from(body)) - {"list_flag", "list_flag_reason"}:
        c.require("customer:write")
    customer = _one(c, customer_id)
    if if_match is not None and if_match.strip().strip('"') not in ("*", str(customer.version)):
        raise StaleVersion(f"customer {customer_id} was changed since {if_match}")
    for key in ("engagedParty", "status"):
        if key in body:
            raise ApiError(400, f"{key}: cannot be changed with PATCH", field=key)
    changes = changes_from(body)
    if "id_number" in changes:
        raise ApiError(400, "idNumber: cannot be changed; it identifies the customer", field="idNumber")
    region = changes.get("region_code")
    scope = c.scope()
    if region is not None and scope is not None and region not in scope:
        raise PermissionDenied(f"region {region} is outside the regions you may work in")
    reason = changes.pop("list_flag_reason", None)
    service.update_customer(
        c.session, customer_id=customer.id, changes=changes, actor_id=c.principal.user_id, reason=reason
    )
    response = _reply(c, customer)
    c.session.commit()
    return response
