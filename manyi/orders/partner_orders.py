"""Give an order to a channel partner (代销点) and take it back. Flush, never commit.

A partner sees the orders its own staff created and those the operator gave it (for a customer it
sold to, or one it follows up); giving and taking back are events in the order's history, by a
member of the operator's staff with ticket:partner. A partner's own staff never give orders away:
that would hand another partner's customers around.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from manyi.auth.actors import actor_permissions
from manyi.core.clock import ensure_aware, now
from manyi.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from manyi.orders.history import record_event
from manyi.orders.hooks import order_changed
from manyi.orders.models import WorkOrder
from manyi.orders.partner_scope import CHANNEL_PARTNER
from manyi.orders.service import get_order
from manyi.orders.texts import check_texts
from manyi.org.reference import organisation_index, user_index

GIVEN, TAKEN_BACK = "partner_given", "partner_taken_back"
PERMISSION = "ticket:partner"


def _check_actor(session: Session, actor_id: int | None) -> None:
    """Only the operator's staff with ticket:partner give and take back (not a partner's staff)."""
    if actor_id is None:
        return  # the operator's own scripts (CLI, imports)
    if PERMISSION not in actor_permissions(session, actor_id):
        raise PermissionDenied(f"giving orders to channel partners needs the permission {PERMISSION}")
    info = user_index(session).get(actor_id)
    org = organisation_index(session).get(info.organisation_id) if info and info.organisation_id else None
    if org is not None and org.kind == CHANNEL_PARTNER:
        raise PermissionDenied("a channel partner's staff cannot give orders to channel partners")


def _load(session: Session, order_id: int, expected_version: int | None) -> WorkOrder:
    order = get_order(session, order_id=order_id)
    if expected_version is not None and expected_version != order.version:
        raise StaleVersion(
            f"work order {order.number} was changed by someone else "
            f"(version {order.version}, you had {expected_version})"
        )
    return order


def give_to_partner(
    session: Session,
    *,
    order_id: int,
    organisation_id: int,
    actor_id: int | None,
    reason: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Give the order to a channel partner organisation (replacing the one it had, if any)."""
    at = ensure_aware(at or now(), field="at")
    check_texts(reason=reason)
    _check_actor(session, actor_id)
    org = organisation_index(session).get(organisation_id)
    if org is None or org.kind != CHANNEL_PARTNER or not org.active:
        raise ValidationFailed(
            f"organisation: {organisation_id} is not an active channel partner organisation",
            field="organisation",
        )
    order = _load(session, order_id, expected_version)
    if order.partner_org_id == organisation_id:
        return order  # already given: a retried request changes nothing
    before = order.partner_org_id
    order.partner_org_id, order.updated_at = organisation_id, at
    changes = {"partner_org_id": (before, organisation_id)}
    record_event(session, order=order, action=GIVEN, at=at, actor_id=actor_id, changes=changes, note=reason)
    session.flush()
    order_changed(session, order, "attributes", changes)
    return order


def take_back_from_partner(
    session: Session,
    *,
    order_id: int,
    actor_id: int | None,
    reason: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Take the order back from the partner it was given to (the creating organisation keeps sight)."""
    at = ensure_aware(at or now(), field="at")
    check_texts(reason=reason)
    _check_actor(session, actor_id)
    order = _load(session, order_id, expected_version)
    if order.partner_org_id is None:
        raise ValidationFailed(
            f"organisation: work order {order.number} is not given to a partner", field="organisation"
        )
    before = order.partner_org_id
    order.partner_org_id, order.updated_at = None, at
    changes = {"partner_org_id": (before, None)}
    record_event(
        session, order=order, action=TAKEN_BACK, at=at, actor_id=actor_id, changes=changes, note=reason
    )
    session.flush()
    order_changed(session, order, "attributes", changes)
    return order
