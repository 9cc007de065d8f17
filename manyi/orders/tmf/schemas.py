"""TMF621 request and response shapes for validation and the OpenAPI document.

Field names and types follow the official TMF621 v4 swagger. Responses are built as plain dicts in
manyi.orders.tmf.documents (cheaper than model validation on every list row); these models describe them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from manyi.core.limits import DESCRIPTION_MAX, NOTE_MAX, REASON_MAX, TITLE_MAX


class Ref(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str = Field(min_length=1)
    href: str | None = None
    name: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")


class RelatedParty(Ref):
    role: str | None = None


class RelatedEntity(Ref):
    role: str = "subscription"


class ChannelRef(Ref):
    pass


class NoteIn(BaseModel):
    """A TMF621 Note; `@type: ContactAttemptNote` with an `outcome` records a contact attempt."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    text: str = Field(min_length=1, max_length=NOTE_MAX)
    author: str | None = None
    type_: str | None = Field(None, alias="@type", description="Note, or Manyi's ContactAttemptNote")
    outcome: str | None = Field(
        None, description="ContactAttemptNote: reached | not_reached | wrong_number / 联系结果"
    )


class TicketRelationship(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    relationship_type: str = Field("isChildOf", alias="relationshipType")


class TroubleTicketCreate(BaseModel):
    """TMF621 TroubleTicket_Create, with Manyi's optional `category` and `region` references."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    description: str = Field(
        min_length=1, max_length=DESCRIPTION_MAX, description="What the customer reports / 客户反映的问题"
    )
    severity: str = Field(description="critical | major | minor")
    ticket_type: str = Field(
        alias="ticketType",
        description="complaint | fault | install | remove | move | change | inquiry | callback | proactiveCare",
    )
    name: str | None = Field(None, max_length=TITLE_MAX)
    priority: str | None = Field(None, description="1 (highest) .. 4 (lowest)")
    external_id: str | None = Field(None, alias="externalId", max_length=64)
    channel: ChannelRef | None = None
    related_party: list[RelatedParty] = Field(default_factory=list, alias="relatedParty")
    related_entity: list[RelatedEntity] = Field(default_factory=list, alias="relatedEntity")
    note: list[NoteIn] = Field(default_factory=list)
    trouble_ticket_relationship: list[TicketRelationship] = Field(
        default_factory=list, alias="troubleTicketRelationship"
    )
    category: Ref | None = Field(None, description="Manyi: category code / 工单分类")
    region: Ref | None = Field(None, description="Manyi: region code (defaults to the customer's) / 区域")
    type_: str | None = Field(None, alias="@type")


class TroubleTicketUpdate(BaseModel):
    """TMF621 TroubleTicket_Update as accepted by PATCH (application/merge-patch+json)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    name: str | None = Field(None, max_length=TITLE_MAX)
    priority: str | None = None
    severity: str | None = None
    status: str | None = Field(
        None, description="acknowledged inProgress pending held resolved closed rejected cancelled"
    )
    status_change_reason: str | None = Field(None, alias="statusChangeReason", max_length=REASON_MAX)
    resolution_code: str | None = Field(None, alias="resolutionCode", description="Manyi: needed to resolve")
    callback_result: str | None = Field(
        None,
        alias="callbackResult",
        description="Manyi: the callback (回访) on a resolved ticket: satisfied | basically_satisfied | "
        "unreachable (status closed) or unsatisfied (status inProgress, re-opened to its owner)",
    )
    note: list[NoteIn] | None = None
    related_party: list[RelatedParty] | None = Field(None, alias="relatedParty")
    team: Ref | None = Field(None, description="Manyi: transfer to this team / 转派班组")
    region: Ref | None = Field(
        None, description="Manyi: the region of a ticket awaiting it (regionPending) / 待定区域工单的区域"
    )


class SlaClockOut(BaseModel):
    kind: str
    state: str
    dueDate: str
    warningDate: str
    startDate: str
    metDate: str | None = None
    breached: bool
    provisional: bool
    limit: dict[str, Any]


class TroubleTicketOut(BaseModel):
    """A ManyiTroubleTicket: TMF621 TroubleTicket plus Manyi's extension fields."""

    model_config = ConfigDict(extra="allow")

    id: str
    href: str
    type_: str = Field(alias="@type")
    baseType: str | None = Field(None, alias="@baseType")
    schemaLocation: str | None = Field(None, alias="@schemaLocation")
    description: str | None = None
    severity: str | None = None
    ticketType: str | None = None
    status: str | None = None
    priority: str | None = None
    creationDate: str | None = None
    lastUpdate: str | None = None
    statusChangeDate: str | None = None
    expectedResolutionDate: str | None = None
    resolutionDate: str | None = None
    externalId: str | None = None
    name: str | None = None
    channel: dict[str, Any] | None = None
    relatedParty: list[dict[str, Any]] | None = None
    relatedEntity: list[dict[str, Any]] | None = None
    note: list[dict[str, Any]] | None = None
    attachment: list[dict[str, Any]] | None = None
    statusChange: list[dict[str, Any]] | None = None
    troubleTicketRelationship: list[dict[str, Any]] | None = None
    stage: str | None = None
    category: dict[str, Any] | None = None
    region: dict[str, Any] | None = None
    regionPending: bool | None = Field(None, description="Manyi: waiting in triage for its region")
    team: dict[str, Any] | None = None
    slaClock: list[SlaClockOut] | None = None
    callback: list[dict[str, Any]] | None = None
    slaBreached: bool | None = None
    nextActions: list[str] | None = None
    version: int | None = None


def ticket_json_schema() -> dict[str, Any]:
    """The JSON Schema that a ManyiTroubleTicket's @schemaLocation points at."""
    schema = TroubleTicketOut.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "ManyiTroubleTicket",
        "description": "TMF621 TroubleTicket (v4) extended with Manyi's fields: stage, category, region, "
        "regionPending, team, slaClock, slaBreached, nextActions, version. / 满意扩展的 TMF621 工单。",
    }
