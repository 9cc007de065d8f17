"""The supervisor's breached list (issue 12): each order with its first-responsible owner and its
assignee, the most overdue first, so the worst case is on top and whoever must act is named."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.console.deps import Page
from manyi.console.supervisor import queries as stats
from manyi.orders.models import WorkOrder
from manyi.org.models import User


def most_overdue_first(clocks: list[stats.WatchedClock]) -> list[stats.WatchedClock]:
    return sorted(clocks, key=lambda c: (c.due_at, c.number))  # the earliest deadline is the most overdue


def with_people(
    p: Page, rows: list[dict[str, Any]], clocks: list[stats.WatchedClock]
) -> list[dict[str, Any]]:
    """Add the owner's and the assignee's names to the rows made from these clocks (same order)."""
    if not clocks:
        return rows
    owners: dict[int, int | None] = {
        order_id: owner_id
        for order_id, owner_id in p.session.execute(
            select(WorkOrder.id, WorkOrder.owner_id).where(WorkOrder.id.in_([c.order_id for c in clocks]))
        )
    }
    people = {o for o in owners.values() if o} | {c.assignee_id for c in clocks if c.assignee_id}
    names: dict[int, str] = (
        {
            uid: name
            for uid, name in p.session.execute(select(User.id, User.display_name).where(User.id.in_(people)))
        }
        if people
        else {}
    )
    for row, clock in zip(rows, clocks, strict=True):
        row["owner"] = names.get(owners.get(clock.order_id) or 0, "")
        row["assignee"] = names.get(clock.assignee_id or 0, "") or p.gettext("Not assigned")
    return rows
