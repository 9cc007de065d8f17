"""Listeners told about every committed-to-be change of a work order (the event hub registers one).

Called inside the unit of work that makes the change, so what they write (outbox rows) commits or
rolls back with it. Registered explicitly at startup (manyi.app, manyi.worker), never on import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from manyi.orders.models import WorkOrder

# (session, order, kind, changes): kind is "created", "status" or "attributes";
# changes maps a field to (before, after).
OrderHook = Callable[[Session, WorkOrder, str, dict[str, tuple[Any, Any]]], None]
HOOKS: list[OrderHook] = []


def order_changed(session: Session, order: WorkOrder, kind: str, changes: dict[str, tuple[Any, Any]]) -> None:
    for hook in HOOKS:
        hook(session, order, kind, changes)
