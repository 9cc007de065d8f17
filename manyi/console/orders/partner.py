"""The order page's channel-partner form: give the order to a channel partner (代销点) or take it back
(docs/partners.md). For the operator's staff with ticket:partner; the service holds the rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from manyi.console.deps import Page, page, query_int
from manyi.console.orders.view import load_order
from manyi.core.errors import ManyiError, PermissionDenied
from manyi.orders.partner_orders import PERMISSION, give_to_partner, take_back_from_partner

router = APIRouter(include_in_schema=False)


@router.post("/orders/{number}/partner")
def give_or_take_back(
    number: str,
    p: Annotated[Page, Depends(page)],
    organisation: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    p.require(PERMISSION)
    if p.viewer().partner is not None:
        # A partner's own staff never hand orders around, whatever their roles (403).
        raise PermissionDenied(p.gettext("Your role does not allow this page or action."))
    order = load_order(p, number)
    chosen = query_int(organisation)
    try:
        if chosen is None:
            take_back_from_partner(
                p.session, order_id=order.id, actor_id=p.principal.user_id, reason=reason or None
            )
            done = p.gettext("Taken back from the channel partner.")
        else:
            give_to_partner(
                p.session,
                order_id=order.id,
                organisation_id=chosen,
                actor_id=p.principal.user_id,
                reason=reason or None,
            )
            done = p.gettext("Given to the channel partner.")
        p.session.flush()
    except ManyiError:
        p.session.rollback()
        return p.redirect(
            f"/orders/{number}", flash=p.gettext("Nothing was changed: choose an active channel partner.")
        )
    return p.redirect(f"/orders/{number}", flash=done)
