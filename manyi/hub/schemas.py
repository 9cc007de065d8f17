"""TMF688 hub request and response shapes (EventSubscriptionInput, EventSubscription)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from manyi.hub.rules import MAX_CALLBACK, MAX_QUERY


class EventSubscriptionInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    callback: str = Field(
        min_length=1,
        max_length=MAX_CALLBACK,
        description="Base URL of the listener: events are POSTed to `{callback}/listener/{eventName}` / "
        "监听地址，事件推送到 `{callback}/listener/{eventName}`",
        examples=["https://crm.example.com/tmf-api/troubleTicket/v4"],
    )
    query: str | None = Field(
        None,
        max_length=MAX_QUERY,
        description="Filter: `eventType=A,B` and `event.<resource>.<attribute>=value`, joined by `&`; "
        "empty receives every event / 过滤条件，留空接收全部事件",
        examples=["eventType=TroubleTicketStatusChangeEvent&event.troubleTicket.severity=critical"],
    )


class EventSubscription(BaseModel):
    id: str
    callback: str
    query: str | None = None
