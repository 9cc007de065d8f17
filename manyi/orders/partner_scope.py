"""Which work orders a channel partner's staff see and change: one pure rule and its SQL clause.

A channel partner (代销点, DOMAIN.md) sells and follows orders for its own customers. Its staff see
and change only the orders their organisation created (`created_by_org_id`) or was given by the
operator (`partner_org_id`), on top of their region scope; every other order is missing to them
(404, as an order outside one's regions), so its existence does not leak. Staff of the operator and
of contractors (代维 crews) are not limited here: their regions and roles decide, as before.

The rule is applied in one place: `manyi.orders.queries` puts the caller's scope in its `Viewer`
(`viewer_of`), adds `visible_clause` to the one "orders this caller may see" statement (`visible`)
and `may_see_order` to its check of a loaded order (`may_see`), so every path that lists, counts or
loads orders (TMF621, /api/v1, console lists, board, jobs, search, order and customer pages, linked
tickets) holds it without a call of its own. Event subscriptions are refused in manyi.hub.service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_, true

from manyi.orders.models import WorkOrder

CHANNEL_PARTNER = "channel_partner"


@dataclass(frozen=True)
class PartnerScope:
    """The organisation whose orders a channel partner's user may see."""

    organisation_id: int


class _Caller(Protocol):
    @property
    def organisation_id(self) -> int | None: ...

    @property
    def organisation_kind(self) -> str | None: ...


def partner_scope(caller: _Caller | None) -> PartnerScope | None:
    """The caller's partner scope, or None when organisation does not limit what it sees (the
    operator's own staff, contractors' crews, system accounts)."""
    if caller is None or caller.organisation_kind != CHANNEL_PARTNER or caller.organisation_id is None:
        return None
    return PartnerScope(caller.organisation_id)


def may_see(scope: PartnerScope | None, *, created_by_org_id: int | None, partner_org_id: int | None) -> bool:
    """True when an order with these organisations is within the partner scope (always without one)."""
    if scope is None:
        return True
    return scope.organisation_id in (created_by_org_id, partner_org_id)


def may_see_order(scope: PartnerScope | None, order: Any) -> bool:
    """may_see for a loaded order (a WorkOrder or a row with its two organisation columns)."""
    return may_see(scope, created_by_org_id=order.created_by_org_id, partner_org_id=order.partner_org_id)


def visible_clause(scope: PartnerScope | None, table: Any = WorkOrder) -> ColumnElement[bool]:
    """The SQL form of may_see, for a statement on work_orders (or an alias of it)."""
    if scope is None:
        return true()
    org = scope.organisation_id
    return or_(table.created_by_org_id == org, table.partner_org_id == org)
