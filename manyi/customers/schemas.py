"""The shape of a ManyiCustomer document (built as a plain dict by manyi.customers.tmf), published as
the JSON Schema its @schemaLocation names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RegionRef(BaseModel):
    id: str
    name: str | None = None


class SubscriptionOut(BaseModel):
    id: str
    product: str = Field(description="mobile | broadband | iptv")
    serviceNumber: str = Field(description="MSISDN (masked without pii:read) or broadband account")
    address: str | None = None
    status: str


class ContactOut(BaseModel):
    """A contact person of an organization customer: a TMF RelatedParty of role contact."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    role: str = "contact"
    type_: str = Field("ManyiContact", alias="@type")
    referredType: str = Field("Individual", alias="@referredType")
    title: str | None = Field(None, description="Job title / 职务")
    contactMedium: list[dict[str, Any]] = Field(default_factory=list)


class ManyiCustomer(BaseModel):
    """TMF629 Customer (v4) with Manyi's extension fields."""

    model_config = ConfigDict(extra="allow")

    id: str
    href: str
    type_: str = Field("ManyiCustomer", alias="@type")
    baseType: str = Field("Customer", alias="@baseType")
    schemaLocation: str | None = Field(None, alias="@schemaLocation")
    name: str
    status: str
    engagedParty: dict[str, Any] = Field(
        description="{id: customer number, name, role: customer, @referredType: Individual | Organization}"
    )
    contactMedium: list[dict[str, Any]] = Field(default_factory=list)
    relatedParty: list[ContactOut] = Field(default_factory=list, description="An organization's contacts")
    characteristic: list[dict[str, Any]] = Field(
        default_factory=list, description="brand, brandName, vipLevel, listFlag, idNumber"
    )
    validFor: dict[str, Any] | None = None
    region: RegionRef | None = Field(None, description="Manyi: the customer's region / 所属区域")
    subscription: list[SubscriptionOut] = Field(default_factory=list, description="Manyi: products")
    version: int = Field(description="Manyi: the ETag's version")


def customer_json_schema() -> dict[str, Any]:
    """The JSON Schema that a ManyiCustomer's @schemaLocation points at."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ManyiCustomer.model_json_schema(by_alias=True),
        "title": "ManyiCustomer",
        "description": "TMF629 Customer (v4) extended with Manyi's fields: region, subscription, version; "
        "an organization's contact persons as relatedParty of role contact (@type ManyiContact). / "
        "满意扩展的 TMF629 客户。",
    }
