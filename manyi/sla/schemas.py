"""Request and response shapes of `/api/v1/slaPolicies` (validation and the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from manyi.api.admin import Input, Resource

Kind = Literal["extraction", "first_contact", "appointment", "response", "installation", "resolution"]
Unit = Literal["working_hours", "working_days", "natural_hours", "natural_days"]
Names = list[Annotated[str, Field(max_length=512)]]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    amount: float = Field(gt=0, le=100_000, description="e.g. 2 working_hours, 3 working_days")
    unit: Unit


class PolicyCriteria(Input):
    """Null or an empty list matches anything; the lowest rank among matching active policies wins."""

    order_types: Names | None = Field(None, max_length=20, description="complaint, fault, install, …")
    category_path_prefixes: Names | None = Field(None, max_length=50, description="category paths, e.g. NET")
    products: Names | None = Field(None, max_length=10, description="mobile, broadband, iptv")
    brands: Names | None = Field(None, max_length=10, description="gotone, mzone, easyown")
    vip_levels: list[int] | None = Field(None, max_length=10, description="0 none … 3 diamond")
    priorities: list[int] | None = Field(None, max_length=10, description="1 highest … 4 lowest")
    channels: Names | None = Field(None, max_length=20, description="hotline, hall, web, …")
    region_codes: Names | None = Field(None, max_length=200, description="a region covers its districts")


class PolicyCreate(PolicyCriteria):
    name: str = Field(min_length=1, max_length=128)
    rank: int = Field(100, ge=0, le=1_000_000)
    calendar: str | None = Field(None, max_length=64, description="null: the team's, region's or default")
    warning_share: float | None = Field(None, gt=0, lt=1, description="warn at this share of the limit")
    active: bool = True
    targets: list[Target] = Field(min_length=1, max_length=4)


class PolicyUpdate(PolicyCriteria):
    name: str | None = Field(None, min_length=1, max_length=128)
    rank: int | None = Field(None, ge=0, le=1_000_000)
    calendar: str | None = Field(None, max_length=64)
    warning_share: float | None = Field(None, gt=0, lt=1)
    active: bool | None = None
    targets: list[Target] | None = Field(None, min_length=1, max_length=4)


class PolicyOut(Resource):
    id: str
    href: str
    at_type: str = Field("SlaPolicy", alias="@type")
    name: str
    rank: int
    order_types: list[str] | None
    category_path_prefixes: list[str] | None
    products: list[str] | None
    brands: list[str] | None
    vip_levels: list[int] | None
    priorities: list[int] | None
    channels: list[str] | None
    region_codes: list[str] | None
    calendar: str | None
    warning_share: float
    active: bool
    version: int
    targets: list[Target]


class PolicyWritten(PolicyOut):
    recomputed_clocks: int = Field(description="open SLA clocks recomputed by this change")
