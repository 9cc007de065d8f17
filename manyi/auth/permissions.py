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
    "callback_agent",
)

# ticket:* work orders; customer:* TMF629 customers (customer:delete erases a customer's personal
# data on request, PIPL 个人信息保护法); pii:read unmasked phone and ID numbers;
# config:* the admin API (policies, calendars, routing, teams, users); hub:manage event subscriptions.
# ticket:callback records the callback (回访) that closes the loop on a resolved order, and the
# callback's attempts to reach the customer; complaint:withdraw cancels or rejects a complaint;
# customer:flag sets or clears a customer's red/blue list flag (audited, with a reason).
# ticket:partner gives an order to a channel partner (代销点) or takes it back (manyi.orders.partner_orders).
# message:read finds the SMS sent to customers (phones masked without pii:read); message:send sends
# one through TMF681 (integrated systems, supervisors).
PERMISSIONS = (
    "ticket:read",
    "ticket:create",
    "ticket:update",
    "ticket:delete",
    "ticket:callback",
    "ticket:partner",
    "complaint:withdraw",
    "customer:read",
    "customer:write",
    "customer:flag",
    "customer:delete",
    "pii:read",
    "config:read",
    "config:write",
    "hub:manage",
    "message:read",
    "message:send",
)

# Callbacks (001: by the call centre's callback seats, not by whoever resolved the order): the
# call centre's agents and its dedicated callback seats, supervisors, and integrated systems (IVR or
# SMS satisfaction surveys). Not complaint handlers, technicians or partners: they do the work the
# callback checks. The service also refuses the member of staff who resolved the order.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # front line: takes requests, owns them, talks to the customer
    "agent": frozenset(
        {
            "ticket:read",
            "ticket:create",
            "ticket:update",
            "ticket:callback",
            "customer:read",
            "customer:write",
            "pii:read",
            "message:read",
        }
    ),
    # callback seats (回访坐席): call customers back on resolved orders (ticket:update for the notes and
    # attempts around it); they neither take new requests nor change customer data
    "callback_agent": frozenset(
        {"ticket:read", "ticket:update", "ticket:callback", "customer:read", "pii:read", "message:read"}
    ),
    "dispatcher": frozenset(
        {"ticket:read", "ticket:update", "ticket:partner", "customer:read", "pii:read", "config:read"}
    ),
    "technician": frozenset({"ticket:read", "ticket:update", "customer:read", "pii:read"}),
    # the expert group works complaints, withdraws unfounded ones and keeps the blue list (001)
    "complaint_handler": frozenset(
        {
            "ticket:read",
            "ticket:create",
            "ticket:update",
            "complaint:withdraw",
            "customer:read",
            "customer:flag",
            "pii:read",
        }
    ),
    # quality inspection and audit read everything in scope, change nothing, see masked PII
    "inspector": frozenset({"ticket:read", "customer:read", "config:read", "message:read"}),
    "auditor": frozenset({"ticket:read", "customer:read", "config:read", "message:read"}),
    "supervisor": frozenset(
        {
            "ticket:read",
            "ticket:create",
            "ticket:update",
            "ticket:callback",
            "ticket:partner",
            "complaint:withdraw",
            "customer:read",
            "customer:flag",
            "pii:read",
            "config:read",
            "message:read",
            "message:send",
        }
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
            "ticket:callback",
            "ticket:partner",
            "complaint:withdraw",
            "customer:read",
            "customer:write",
            "customer:flag",
            "customer:delete",
            "pii:read",
            "hub:manage",
            "message:read",
            "message:send",
        }
    ),
}


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The union of the roles' permissions (unknown roles grant nothing)."""
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)
