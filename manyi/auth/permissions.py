"""Who may do what: roles to permissions. Pure data, tested exhaustively by the authorization matrix."""

from __future__ import annotations

ROLES = (
    "agent",
    "dispatcher",
    "technician",
    "complaint_handler",
    "inspector",
    "supervisor",
    "auditor",
    "admin",
    "partner",
    "system",
    "branch_manager",
)

# ticket:* work orders; customer:* TMF629 customers (customer:delete erases a customer's personal
# data on request, PIPL 个人信息保护法); pii:read unmasked phone and ID numbers;
# config:* the admin API (policies, calendars, routing, teams, users); hub:manage event subscriptions.
PERMISSIONS = (
    "ticket:read",
    "ticket:create",
    "ticket:update",
    "ticket:delete",
    "customer:read",
    "customer:write",
    "customer:delete",
    "pii:read",
    "config:read",
    "config:write",
    "hub:manage",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # front line: takes requests, owns them, talks to the customer
    "agent": frozenset(
        {"ticket:read", "ticket:create", "ticket:update", "customer:read", "customer:write", "pii:read"}
    ),
    "dispatcher": frozenset({"ticket:read", "ticket:update", "customer:read", "pii:read", "config:read"}),
    "technician": frozenset({"ticket:read", "ticket:update", "customer:read", "pii:read"}),
    "complaint_handler": frozenset(
        {"ticket:read", "ticket:create", "ticket:update", "customer:read", "pii:read"}
    ),
    # quality inspection and audit read everything in scope, change nothing, see masked PII
    "inspector": frozenset({"ticket:read", "customer:read", "config:read"}),
    "auditor": frozenset({"ticket:read", "customer:read", "config:read"}),
    "supervisor": frozenset(
        {"ticket:read", "ticket:create", "ticket:update", "customer:read", "pii:read", "config:read"}
    ),
    "branch_manager": frozenset({"ticket:read", "customer:read", "config:read"}),
    "admin": frozenset(PERMISSIONS),
    # channel partners open and follow orders for their customers, without PII of others
    "partner": frozenset({"ticket:read", "ticket:create", "ticket:update", "customer:read"}),
    # integrated systems (CRM, CTI, network monitoring): full ticket and customer access, hub; the
    # CRM forwards a customer's request to erase their personal data
    "system": frozenset(
        {
            "ticket:read",
            "ticket:create",
            "ticket:update",
            "ticket:delete",
            "customer:read",
            "customer:write",
            "customer:delete",
            "pii:read",
            "hub:manage",
        }
    ),
}


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The union of the roles' permissions (unknown roles grant nothing)."""
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)
