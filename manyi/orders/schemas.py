"""Request and response shapes of the order API outside TMF621 (which has manyi.orders.tmf.schemas):
`/api/v1/routingRules`."""

from __future__ import annotations

from pydantic import Field

from manyi.api.admin import Input, Ref, RefOut, Resource


class RuleCriteria(Input):
    """Null matches anything; among matching active rules the lowest rank wins."""

    order_type: str | None = Field(None, max_length=16, description="complaint, fault, install, …")
    category_path: str | None = Field(None, max_length=512, description="a category path, e.g. NET")
    product: str | None = Field(None, max_length=16, description="mobile, broadband, iptv")
    region_code: str | None = Field(None, max_length=12, description="a region covers its districts")
    required_skill: str | None = Field(None, max_length=32, description="assign to members having it")


class RuleCreate(RuleCriteria):
    team: Ref
    rank: int = Field(100, ge=0, le=1_000_000)
    active: bool = True


class RuleUpdate(RuleCriteria):
    team: Ref | None = None
    rank: int | None = Field(None, ge=0, le=1_000_000)
    active: bool | None = None


class RuleOut(Resource):
    id: str
    href: str
    at_type: str = Field("RoutingRule", alias="@type")
    rank: int
    order_type: str | None
    category_path: str | None
    product: str | None
    region_code: str | None
    team: RefOut
    required_skill: str | None
    active: bool
