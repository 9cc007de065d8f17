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


# Roles whose daily work is not the agent workbench land on their own page (issue 12); the first
# role of this list a staff member holds wins, anyone else lands on the first page of their menu.
HOMES = (("admin", "/admin"), ("supervisor", "/supervisor"))


def home_for(principal: Principal) -> str:
    """Where a staff member lands after login."""
    entries = menu(principal)
    urls = {e.url for e in entries}
    for role, url in HOMES:
        if role in principal.roles and url in urls:
            return url
    return entries[0].url if entries else "/account"
