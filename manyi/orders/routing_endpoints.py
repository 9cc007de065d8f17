"""`/api/v1/routingRules`: which team new orders go to (type, category, product, region → team)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from manyi.api.admin import (
    ERRORS,
    JSON_BODY,
    MERGE_PATCH,
    PATCH_BODY,
    TAG,
    RefOut,
    audit,
    changes,
    check_if_match,
    content_etag,
    int_param,
    list_page,
    not_null,
    numeric_id,
    reply,
)
from manyi.api.query import Attribute, parse_bool, parse_fields
from manyi.auth.deps import Ctx, ctx
from manyi.orders import routing
from manyi.orders.models import RoutingRule
from manyi.orders.schemas import RuleCreate, RuleOut, RuleUpdate
from manyi.org.reference import team_name

BASE = "/api/v1/routingRules"
TEAMS = "/api/v1/teams"
router = APIRouter(prefix=BASE, tags=[TAG], responses=ERRORS)
RENAMES = {"team": "team_id", "category_path": "category_path_prefix"}


def _stored(rule: RoutingRule) -> dict[str, Any]:
    return {key: getattr(rule, key) for key in sorted(routing.RULE_FIELDS)}


def _document(c: Ctx, rule: RoutingRule) -> dict[str, Any]:
    return RuleOut(
        id=str(rule.id),
        href=f"{BASE}/{rule.id}",
        rank=rule.rank,
        order_type=rule.order_type,
        category_path=rule.category_path_prefix,
        product=rule.product,
        region_code=rule.region_code,
        team=RefOut(
            id=str(rule.team_id), href=f"{TEAMS}/{rule.team_id}", name=team_name(c.session, rule.team_id)
        ),
        required_skill=rule.required_skill,
        active=rule.active,
    ).model_dump(by_alias=True)


ATTRIBUTES = {
    "id": Attribute(RoutingRule.id, parse=int_param),
    "rank": Attribute(RoutingRule.rank, parse=int_param, comparable=True),
    "orderType": Attribute(RoutingRule.order_type),
    "categoryPath": Attribute(RoutingRule.category_path_prefix),
    "product": Attribute(RoutingRule.product),
    "regionCode": Attribute(RoutingRule.region_code),
    "team.id": Attribute(RoutingRule.team_id, parse=int_param),
    "requiredSkill": Attribute(RoutingRule.required_skill),
    "active": Attribute(RoutingRule.active, parse=parse_bool),
}


@router.get(
    "",
    summary="List routing rules / 查询派单规则",
    description="TMF630 lists: filters `id`, `rank` (comparable), `orderType`, `categoryPath`, `product`, "
    "`regionCode`, `team.id`, `requiredSkill`, `active`; default sort `rank` (the order rules are tried "
    "in).\n\n按优先级列出派单规则。",
    response_model=list[RuleOut],
)
def list_rules(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:read")
    return list_page(
        request,
        c,
        model=RoutingRule,
        attributes=ATTRIBUTES,
        tiebreak=RoutingRule.id,
        default_sort=[("rank", False)],
        documents=lambda rows: [_document(c, r) for r in rows],
    )


def _rule(c: Ctx, id: str, *, lock: bool = False) -> RoutingRule:
    rule_id = numeric_id(id, "routing rule")
    if lock:  # rules have no version column: hold the row while If-Match is checked and the change made
        c.session.scalars(select(RoutingRule.id).where(RoutingRule.id == rule_id).with_for_update()).first()
    return routing.get_rule(c.session, rule_id=rule_id)


@router.get("/{id}", summary="Get a routing rule / 查看派单规则", response_model=RuleOut)
def get_rule(id: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    c.require("config:read")
    rule = _rule(c, id)
    return reply(_document(c, rule), etag=content_etag(_stored(rule)), fields=parse_fields(fields))


@router.post(
    "",
    status_code=201,
    summary="Create a routing rule / 新建派单规则",
    description="Orders matching every given criterion go to `team`; applies to orders created from now on."
    "\n\n新建派单规则，对此后新建的工单生效。",
    response_model=RuleOut,
    dependencies=JSON_BODY,
)
def create_rule(body: RuleCreate, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:write")
    rule = routing.create_rule(
        c.session,
        team_id=int(body.team.id),
        rank=body.rank,
        order_type=body.order_type,
        category_path_prefix=body.category_path,
        product=body.product,
        region_code=body.region_code,
        required_skill=body.required_skill,
        active=body.active,
    )
    document = _document(c, rule)
    c.session.commit()
    audit(c, action="create", resource=f"routingRule/{rule.id}", after=document)
    return reply(document, etag=content_etag(_stored(rule)), status=201)


@router.patch(
    "/{id}",
    summary="Change a routing rule / 修改派单规则",
    description=f"`{MERGE_PATCH}`; null clears a criterion (matches anything). Orders already routed stay "
    "with their team. `If-Match` with the ETag refuses a stale change (412).\n\n修改派单规则。",
    response_model=RuleOut,
    dependencies=PATCH_BODY,
)
def patch_rule(
    id: str,
    body: Annotated[RuleUpdate, Body(media_type=MERGE_PATCH)],
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    c.require("config:write")
    rule = _rule(c, id, lock=True)
    check_if_match(if_match, content_etag(_stored(rule)), f"routing rule {id}")
    before = _document(c, rule)
    values = changes(body, RENAMES)
    not_null(body, "team", "rank", "active")
    routing.update_rule(c.session, rule_id=rule.id, changes=values)
    after = _document(c, rule)
    c.session.commit()
    audit(c, action="update", resource=f"routingRule/{rule.id}", before=before, after=after)
    return reply(after, etag=content_etag(_stored(rule)))


@router.delete(
    "/{id}",
    status_code=204,
    summary="Delete a routing rule / 删除派单规则",
    description="Orders already routed by it keep their team. `If-Match` refuses a stale delete (412)."
    "\n\n删除派单规则，已派工单不受影响。",
)
def delete_rule(
    id: str,
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    c.require("config:write")
    rule = _rule(c, id, lock=True)
    check_if_match(if_match, content_etag(_stored(rule)), f"routing rule {id}")
    before = _document(c, rule)
    routing.delete_rule(c.session, rule_id=rule.id)
    c.session.commit()
    audit(c, action="delete", resource=f"routingRule/{before['id']}", before=before)
    return Response(status_code=204)
