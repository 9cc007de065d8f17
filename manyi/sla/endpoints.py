"""`/api/v1/slaPolicies`: the admin's SLA policies (which orders, which limits, which calendar)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from manyi.api.admin import (
    ERRORS,
    JSON_BODY,
    MERGE_PATCH,
    PATCH_BODY,
    TAG,
    audit,
    changes,
    check_if_match,
    int_param,
    list_page,
    not_null,
    numeric_id,
    reply,
    version_etag,
)
from manyi.api.query import Attribute, parse_bool, parse_fields
from manyi.auth.deps import Ctx, ctx
from manyi.sla import policy_service
from manyi.sla.models import SlaPolicy, SlaTarget
from manyi.sla.policies import TargetData
from manyi.sla.schemas import PolicyCreate, PolicyOut, PolicyUpdate, PolicyWritten, Target

BASE = "/api/v1/slaPolicies"
router = APIRouter(prefix=BASE, tags=[TAG], responses=ERRORS)


def _documents(c: Ctx, policies: list[SlaPolicy]) -> list[dict[str, Any]]:
    targets: dict[int, list[Target]] = {}
    if policies:
        rows = c.session.scalars(
            select(SlaTarget).where(SlaTarget.policy_id.in_([p.id for p in policies])).order_by(SlaTarget.id)
        )
        for t in rows:
            target = Target.model_validate({"kind": t.kind, "amount": t.amount, "unit": t.unit})
            targets.setdefault(t.policy_id, []).append(target)
    return [
        PolicyOut(
            id=str(p.id),
            href=f"{BASE}/{p.id}",
            name=p.name,
            rank=p.rank,
            calendar=p.calendar_name,
            warning_share=p.warning_share,
            active=p.active,
            version=p.version,
            targets=targets.get(p.id, []),
            **{key: getattr(p, key) for key in policy_service.CRITERIA},
        ).model_dump(by_alias=True)
        for p in policies
    ]


ATTRIBUTES = {
    "id": Attribute(SlaPolicy.id, parse=int_param),
    "name": Attribute(SlaPolicy.name),
    "rank": Attribute(SlaPolicy.rank, parse=int_param, comparable=True),
    "active": Attribute(SlaPolicy.active, parse=parse_bool),
    "calendar": Attribute(SlaPolicy.calendar_name),
}


@router.get(
    "",
    summary="List SLA policies / 查询时限策略",
    description="TMF630 lists: filters `id`, `name`, `rank` (comparable), `active`, `calendar`; default sort "
    "`rank`.\n\n按名称、优先级、启用状态、日历查询时限策略。",
    response_model=list[PolicyOut],
)
def list_policies(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:read")
    return list_page(
        request,
        c,
        model=SlaPolicy,
        attributes=ATTRIBUTES,
        tiebreak=SlaPolicy.id,
        default_sort=[("rank", False)],
        documents=lambda rows: _documents(c, rows),
    )


def _policy(c: Ctx, id: str) -> SlaPolicy:
    return policy_service.get_policy(c.session, policy_id=numeric_id(id, "SLA policy"))


@router.get("/{id}", summary="Get an SLA policy / 查看时限策略", response_model=PolicyOut)
def get_policy(id: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    c.require("config:read")
    policy = _policy(c, id)
    return reply(_documents(c, [policy])[0], etag=version_etag(policy.version), fields=parse_fields(fields))


def _targets(targets: list[Target]) -> list[TargetData]:
    return [TargetData(t.kind, t.amount, t.unit) for t in targets]


@router.post(
    "",
    status_code=201,
    summary="Create an SLA policy / 新建时限策略",
    description="Criteria select the orders (null or [] = any), `targets` the limits: one per kind "
    "(extraction, first_contact, appointment, response, installation, resolution) in working/natural "
    "hours/days; installation starts when the back office hands the order on. Applies to orders "
    "created from now on.\n\n新建策略，对此后新建的工单生效。",
    response_model=PolicyWritten,
    dependencies=JSON_BODY,
)
def create_policy(body: PolicyCreate, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:write")
    criteria = {key: getattr(body, key) for key in policy_service.CRITERIA}
    policy = policy_service.create_policy(
        c.session,
        name=body.name,
        rank=body.rank,
        calendar_name=body.calendar,
        warning_share=body.warning_share,
        active=body.active,
        targets=_targets(body.targets),
        criteria=criteria,
    )
    document = _documents(c, [policy])[0]
    c.session.commit()
    audit(c, action="create", resource=f"slaPolicy/{policy.id}", after=document)
    return reply(document | {"recomputedClocks": 0}, etag=version_etag(policy.version), status=201)


@router.patch(
    "/{id}",
    summary="Change an SLA policy / 修改时限策略",
    description=f"`{MERGE_PATCH}`; `targets` replaces the whole list. Changing targets, `warningShare` or "
    "`calendar` recomputes the open clocks of the policy's orders from their start (pauses kept) and "
    "reports how many in `recomputedClocks`; criteria, `rank` and `active` apply to new orders. `If-Match` "
    "with the ETag refuses a stale change (412).\n\n修改时限、预警比例或日历将重算在途工单的时限。",
    response_model=PolicyWritten,
    dependencies=PATCH_BODY,
)
def patch_policy(
    id: str,
    body: Annotated[PolicyUpdate, Body(media_type=MERGE_PATCH)],
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    c.require("config:write")
    policy = _policy(c, id)
    check_if_match(if_match, version_etag(policy.version), f"SLA policy {id}")
    before = _documents(c, [policy])[0]
    values = changes(body, {"calendar": "calendar_name"})
    not_null(body, "name", "rank", "warning_share", "active", "targets")
    if values.get("targets") is not None:
        values["targets"] = _targets(body.targets or [])
    result = policy_service.update_policy(c.session, policy_id=policy.id, changes=values)
    after = _documents(c, [result.policy])[0]
    c.session.commit()
    audit(
        c,
        action="update",
        resource=f"slaPolicy/{policy.id}",
        before=before,
        after=after,
        recomputed_clocks=result.recomputed_clocks,
    )
    return reply(
        after | {"recomputedClocks": result.recomputed_clocks}, etag=version_etag(result.policy.version)
    )
