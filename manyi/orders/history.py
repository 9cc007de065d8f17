"""The append-only history of a work order: every change is one event, never edited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.fastsql import FastInsert
from manyi.orders.models import OrderEvent, WorkOrder

EVENT_INSERT = FastInsert(
    OrderEvent.__table__,  # type: ignore[arg-type]
    ["order_id", "at", "actor_id", "action", "changes", "note"],
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _change_list(changes: dict[str, tuple[Any, Any]] | None) -> list[dict[str, Any]]:
    return [
        {"field": f, "before": _plain(b), "after": _plain(a)}
        for f, (b, a) in (changes or {}).items()
        if b != a
    ]


def event_row(
    *,
    order_id: int | None,
    action: str,
    at: datetime,
    actor_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The row of one history event, for EVENT_INSERT (order_id None: filled in by the statement)."""
    return {
        "order_id": order_id,
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "changes": _change_list(changes),
        "note": note,
    }


def insert_event(
    session: Session,
    *,
    order_id: int,
    action: str,
    at: datetime,
    actor_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    note: str | None = None,
) -> None:
    """Append one history event through Core (hot paths; nothing reads it back in the transaction)."""
    row = event_row(order_id=order_id, action=action, at=at, actor_id=actor_id, changes=changes, note=note)
    EVENT_INSERT.execute(session, [row])


def record_event(
    session: Session,
    *,
    order: WorkOrder,
    action: str,
    at: datetime,
    actor_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    note: str | None = None,
) -> OrderEvent:
    """Append one history event with each changed field's before and after."""
    event = OrderEvent(
        order_id=order.id,
        at=at,
        actor_id=actor_id,
        action=action,
        changes=_change_list(changes),
        note=note,
    )
    session.add(event)
    return event


def order_history(session: Session, *, order_id: int) -> list[OrderEvent]:
    """Return an order's events, oldest first."""
    return list(
        session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
    )
