"""Request and response bodies of the team and user admin API, and of `/api/v1/regions`."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from manyi.api.admin import Input, Ref, RefOut, Resource
from manyi.auth.permissions import ROLES

Names = list[Annotated[str, Field(min_length=1, max_length=32)]]


class TeamCreate(Input):
    READ_ONLY: ClassVar[frozenset[str]] = Input.READ_ONLY | {"memberCount"}
    name: str = Field(min_length=1, max_length=64)
    department: Ref
    region_code: str | None = Field(None, max_length=12)
    lead: Ref | None = Field(None, description="the team lead (a user), first to hear of breaches")
    calendar: str | None = Field(None, max_length=64, description="runs the SLA clocks of the team's orders")


class TeamUpdate(Input):
    READ_ONLY: ClassVar[frozenset[str]] = Input.READ_ONLY | {"memberCount"}
    name: str | None = Field(None, min_length=1, max_length=64)
    department: Ref | None = None
    region_code: str | None = Field(None, max_length=12)
    lead: Ref | None = None
    calendar: str | None = Field(None, max_length=64)


class TeamOut(Resource):
    id: str
    href: str
    at_type: str = Field("Team", alias="@type")
    name: str
    department: RefOut
    region_code: str | None
    lead: RefOut | None
    calendar: str | None
    member_count: int


USER_READ_ONLY = Input.READ_ONLY | {"username", "createdAt", "hasPassword", "revokedTokens"}


class UserCreate(Input):
    READ_ONLY: ClassVar[frozenset[str]] = USER_READ_ONLY - {"username"}
    username: str = Field(min_length=1, max_length=64)
    display_name: str | None = Field(None, max_length=64)
    roles: Names = Field(min_length=1, max_length=len(ROLES), description=", ".join(ROLES))
    regions: Names = Field(default_factory=list, max_length=200, description="none: all regions")
    skills: Names = Field(default_factory=list, max_length=50)
    team: Ref | None = None
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=128)
    password: str | None = Field(
        None,
        max_length=256,
        description="at least 10 characters, not only spaces, no control characters, not a common password, "
        "not containing the user name; never returned",
    )


class UserUpdate(Input):
    READ_ONLY: ClassVar[frozenset[str]] = USER_READ_ONLY
    display_name: str | None = Field(None, max_length=64)
    roles: Names | None = Field(None, min_length=1, max_length=len(ROLES))
    regions: Names | None = Field(None, max_length=200)
    skills: Names | None = Field(None, max_length=50)
    team: Ref | None = None
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=128)
    active: bool | None = Field(None, description="false disables the account and revokes its tokens")
    password: str | None = Field(None, max_length=256)


class UserOut(Resource):
    id: str
    href: str
    at_type: str = Field("User", alias="@type")
    username: str
    display_name: str
    roles: list[str]
    regions: list[str]
    skills: list[str]
    team: RefOut | None
    phone: str | None
    email: str | None
    active: bool
    has_password: bool
    created_at: str
    version: int


class UserWritten(UserOut):
    revoked_tokens: int = Field(description="the user's tokens revoked by this change (they log in again)")


class PathOut(BaseModel):
    code: str
    name: str


class RegionOut(BaseModel):
    id: str
    href: str
    code: str
    name: str
    level: str
    parentCode: str | None  # noqa: N815 - the API's camelCase
    path: list[PathOut]
    label: str


class RegionNode(BaseModel):
    code: str
    name: str
    level: str
    children: list[RegionNode] = []
