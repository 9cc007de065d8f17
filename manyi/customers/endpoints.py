"""TMF629 Customer at /tmf-api/customerManagement/v4/customer: thin HTTP over the customer services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, false, func, select

from manyi.api.body import MERGE_PATCH, json_object
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
from manyi.api.urls import public_base
from manyi.auth.deps import Ctx, ctx
from manyi.core.errors import NotFound, PermissionDenied, StaleVersion
from manyi.customers import service
from manyi.customers.models import Customer
from manyi.customers.schemas import customer_json_schema
from manyi.customers.tmf import BASE, PARTY_TYPES, SCHEMA_PATH, changes_from, documents

# Erasure needs the orders' retention rule, which sits above customers: the HTTP edge joins them.
from manyi.orders.customer_erasure import customer_erase_flow
from manyi.org.default_region import default_region
from manyi.org.reference import region_chain, region_index

router = APIRouter(prefix="/tmf-api/customerManagement/v4", tags=["TMF629 customer 客户"])
schema_router = APIRouter(tags=["TMF extension schemas 扩展模式"])
BODY_SCHEMA = {
    "type": "object",
    "description": "TMF629 Customer_Create / Customer_Update",
    "additionalProperties": True,
}


def _one(c: Ctx, customer_id: str) -> Customer:
    # ASCII digits only ('²'.isdigit() is true) and within the id column's range. An erased customer
    # is gone for the API (DELETE succeeded); its row stays only for its orders.
    valid = customer_id.isascii() and customer_id.isdigit() and len(customer_id) < 10
    customer = c.session.get(Customer, int(customer_id)) if valid else None
    if customer is None or customer.erased_at is not None:
        raise NotFound(f"customer {customer_id} does not exist")
    c.check_region(customer.region_code, f"customer {customer_id}")
    return customer


def _fields(fields: frozenset[str] | None) -> frozenset[str] | None:
    # TMF629 requires engagedParty in every Customer: a fields= selection keeps it.
    return fields | {"engagedParty"} if fields is not None else None


def _docs(c: Ctx, request: Request, customers: list[Customer]) -> list[dict[str, Any]]:
    return documents(c.session, customers, pii=c.principal.can("pii:read"), base_url=public_base(request))


def _reply(
    c: Ctx,
    request: Request,
    customer: Customer,
    status: int = 200,
    fields: frozenset[str] | None = None,
) -> JSONResponse:
    doc = select_fields(_docs(c, request, [customer])[0], _fields(fields))
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
    description="TMF629 Customer_Create: `name` and `engagedParty` are required (`@referredType` Individual, or "
    "Organization for an enterprise customer, whose contact persons are `relatedParty` entries of role "
    "`contact`); brand, vipLevel, listFlag and idNumber as `characteristic`s, the mobile number as a "
    "`contactMedium`, Manyi's `region` {id} (without it: the API key's default region, the caller's only "
    "region, or the triage region).\n\n"
    "新建客户：个人或政企客户（联系人以 relatedParty 给出）；品牌、星级、红蓝名单、证件号以特征值给出，手机号以联系方式给出。",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": BODY_SCHEMA}}}
    },
)
async def create_customer(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    body = await _json(request, patch=False)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_create, c, request, body)


def _party(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The engagedParty object and the customer kind it names."""
    party = body.get("engagedParty")
    if not isinstance(party, dict):
        raise ApiError(
            400,
            'engagedParty: required (the person or organization: {"name": ..., "@referredType": '
            '"Individual" or "Organization"})',
            field="engagedParty",
        )
    if party.get("id") is not None and not isinstance(party.get("id"), str):
        raise ApiError(
            400, "engagedParty.id: expected a string (the customer number)", field="engagedParty.id"
        )
    if party.get("name") is not None and not isinstance(party.get("name"), str):
        raise ApiError(400, "engagedParty.name: expected a string", field="engagedParty.name")
    referred = party.get("@referredType", "Individual")
    if referred not in PARTY_TYPES:
        raise ApiError(
            400,
            f"engagedParty.@referredType: expected Individual or Organization, got {referred!r}",
            field="engagedParty",
        )
    return party, PARTY_TYPES[referred]


def _status(body: dict[str, Any]) -> None:
    if body.get("status") not in (None, "approved"):
        raise ApiError(
            400,
            f"status: Manyi's customers are approved when registered, got {body['status']!r}",
            field="status",
        )


def _create(c: Ctx, request: Request, body: dict[str, Any]) -> JSONResponse:
    c.require("customer:write")
    party, kind = _party(body)
    _status(body)
    changes = changes_from({k: v for k, v in body.items() if k not in ("engagedParty", "status")})
    name = changes.pop("name") if "name" in changes else party.get("name")  # else the party's name
    if name is None:
        raise ApiError(400, "name: required", field="name")
    region = changes.pop("region_code", None)
    scope = c.scope()
    if region is None:  # a client that knows only the standard sends no region
        region = default_region(
            c.session, caller_regions=c.principal.regions, scope=scope, key_default=c.principal.default_region
        ).code
    if scope is not None and region not in scope:
        raise PermissionDenied(f"region {region} is outside the regions you may work in")
    reason = changes.pop("list_flag_reason", None)
    customer = service.create_customer(
        c.session,
        name=name,
        brand=changes.pop("brand", "easyown"),
        region_code=region,
        customer_no=party.get("id"),
        kind=kind,
        actor_id=c.principal.user_id,
        reason=reason,
        **changes,
    )
    response = _reply(c, request, customer, 201)  # rendered in the same transaction, sent once committed
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
    "`region.id` (a region and everything under it), `engagedParty.id` (customer number), "
    "`engagedParty.@referredType` (Individual, Organization), `phoneNumber` (needs pii:read). Only customers "
    "of the caller's regions are listed; erased customers are not.\n\n按姓名、品牌、星级、区域、手机号查询客户。",
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
        "engagedParty.@referredType": Attribute(Customer.kind, parse=_kind),
        "region.id": Attribute(Customer.region_code, custom=region),
        "phoneNumber": Attribute(Customer.phone, custom=_phone_filter(c)),
    }
    statement = select(Customer).where(Customer.erased_at.is_(None))
    count = select(func.count()).select_from(Customer).where(Customer.erased_at.is_(None))
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
    docs = [select_fields(d, _fields(query.fields)) for d in _docs(c, request, rows)]
    return JSONResponse(docs, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(docs))})


def _kind(value: str, name: str) -> str:
    if value not in PARTY_TYPES:
        raise ApiError(400, f"{name}: expected Individual or Organization, got {value!r}", field=name)
    return PARTY_TYPES[value]


@router.get("/customer/{id}", summary="Get a customer / 查看客户")
def get_customer(
    id: str, request: Request, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None
) -> JSONResponse:
    c.require("customer:read")
    return _reply(c, request, _one(c, id), fields=parse_fields(fields))


@router.patch(
    "/customer/{id}",
    summary="Update a customer / 更新客户",
    description="`application/merge-patch+json`: name, contactMedium (mobile number), characteristic (brand, "
    "vipLevel, listFlag with its listFlagReason), region, relatedParty (an organization's contact persons; the "
    "list is replaced). `engagedParty` (which TMF629 requires) may be sent as it is; its id and @referredType "
    "cannot change. Setting or clearing listFlag needs the customer:flag permission and a listFlagReason; the "
    "other fields customer:write. Every change is kept in the customer's history "
    "(`/api/v1/customers/{id}/history`). `If-Match` with the ETag refuses a stale update (412).\n\n"
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

    return await run_in_threadpool(_patch, c, request, id, body, if_match)


def _same_party(customer: Customer, body: dict[str, Any]) -> dict[str, Any]:
    """The body without engagedParty, which TMF629's Customer_Update requires: it may repeat the
    customer's party, and rename it when the body has no name, but not change who the customer is."""
    if "engagedParty" not in body:
        return body
    party, kind = _party(body)
    if party.get("id") is not None and party["id"] != customer.customer_no:
        raise ApiError(400, "engagedParty.id: the customer number cannot be changed", field="engagedParty.id")
    if "@referredType" in party and kind != customer.kind:
        raise ApiError(400, "engagedParty.@referredType: a customer cannot change kind", field="engagedParty")
    rest = {k: v for k, v in body.items() if k != "engagedParty"}
    if "name" not in rest and party.get("name") not in (None, customer.name):
        rest["name"] = party["name"]
    return rest


def _patch(
    c: Ctx, request: Request, customer_id: str, body: dict[str, Any], if_match: str | None
) -> JSONResponse:
    # customer:flag alone may ask for a red/blue list change (the service checks it is made with
    # that right and a reason); anything else needs customer:write, changed or not.
    asked = set(changes_from({k: v for k, v in body.items() if k not in ("engagedParty", "status")}))
    if not c.principal.can("customer:flag") or asked - {"list_flag", "list_flag_reason"}:
        c.require("customer:write")
    customer = _one(c, customer_id)
    if if_match is not None and if_match.strip().strip('"') not in ("*", str(customer.version)):
        raise StaleVersion(f"customer {customer_id} was changed since {if_match}")
    _status(body)
    body = {k: v for k, v in _same_party(customer, body).items() if k != "status"}
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
    response = _reply(c, request, customer)
    c.session.commit()
    return response


@router.delete(
    "/customer/{id}",
    status_code=204,
    summary="Erase a customer's personal data / 删除客户个人信息",
    description="The deletion a customer may ask for under PIPL (个人信息保护法): name, phone, ID number, addresses, "
    "service numbers and contact persons are erased; the customer's number and orders stay, so the orders' "
    "history stays consistent, and the customer is gone from this API (404). Refused with 409 and the "
    "reason while the customer has unfinished orders or an order of theirs ended less than the retention "
    "period ago (MANYI_CUSTOMER_RETENTION_DAYS, default 180). Needs `customer:delete`. The erasure is "
    "recorded (who, when, `reason`), never the erased data.\n\n"
    "按个人信息保护法删除客户个人信息；有未完结工单或在保存期内时拒绝（409）。",
    responses={409: {"description": "Unfinished orders or retention period / 有未完结工单或在保存期内"}},
)
def delete_customer(
    id: str,
    c: Annotated[Ctx, Depends(ctx)],
    reason: Annotated[str | None, Query(max_length=500)] = None,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    c.require("customer:delete")
    customer = _one(c, id)
    if if_match is not None and if_match.strip().strip('"') not in ("*", str(customer.version)):
        raise StaleVersion(f"customer {id} was changed since {if_match}")
    customer_erase_flow(
        c.session,
        customer_id=customer.id,
        reason=reason or "the customer asked for their personal data to be deleted (TMF629 DELETE)",
        actor_id=c.principal.user_id,
    )
    c.session.commit()
    return Response(status_code=204)


@schema_router.get(
    SCHEMA_PATH,
    summary="The ManyiCustomer schema / 客户扩展模式",
    description="The JSON Schema a customer's `@schemaLocation` names (no authentication needed).",
)
def customer_schema() -> JSONResponse:
    return JSONResponse(customer_json_schema())
