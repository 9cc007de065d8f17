"""The console's menu: which pages a staff member sees, by permission and role. Pure data; the pages
check the same rights themselves (a hidden link is a convenience, not a control)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.auth.service import Principal


@dataclass(frozen=True)
class Entry:
    url: str
    label: str  # English message id, translated in the template
    roles: frozenset[str] | None = None  # None: anyone with the permission
    permission: str = "ticket:read"


ENTRIES = (
    Entry(
        "/workbench",
        "Workbench",
        frozenset({"agent", "callback_agent", "complaint_handler", "supervisor", "admin", "partner"}),
    ),
    Entry("/board", "Dispatch board", frozenset({"dispatcher", "supervisor", "admin"})),
    Entry("/jobs", "My jobs", frozenset({"technician"})),
    Entry(
        "/supervisor",
        "Supervision",
        frozenset({"supervisor", "branch_manager", "admin", "inspector", "auditor"}),
    ),
    Entry("/orders", "Orders"),
    Entry("/messages", "Messages", None, "message:read"),
    Entry("/admin", "Administration", None, "config:read"),  # read-only without config:write
)


def menu(principal: Principal) -> list[Entry]:
    return [
        e
        for e in ENTRIES
        if principal.can(e.permission) and (e.roles is None or e.roles.intersection(principal.roles))
    ]


def home_for(principal: Principal) -> str:
    """Where a staff member lands after login: the first page of their menu."""
    entries = menu(principal)
    return entries[0].url if entries else "/account"
