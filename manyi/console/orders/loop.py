"""The order page's closed-loop forms (DOMAIN "Closed loop", "Contact rule"): a contact attempt with
its outcome (only a reached customer is a contact), and the callback (回访) with its result, made by
the callback seats. Each calls transition_order, which holds the rules; refusals come back on the
page next to the form, in the user's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlalchemy.orm.exc import StaleDataError

from manyi.console.deps import Page, page
from manyi.console.labels import LABELS
from manyi.console.orders.actions import _version, refuse
from manyi.console.orders.view import load_order
from manyi.core.errors import ManyiError, ValidationFailed
from manyi.orders import closed_loop, service

router = APIRouter(include_in_schema=False)
MAX_NOTE = 2000


def _note(raw: str) -> str | None:
    if len(raw) > MAX_NOTE:
        raise ValidationFailed(f"reason: expected at most {MAX_NOTE} characters", field="reason")
    return raw.strip() or None


@router.post("/orders/{number}/contact")
def contact(
    number: str,
    p: Annotated[Page, Depends(page)],
    version: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    p.require("ticket:update")
    order = load_order(p, number)
    values = {"outcome": outcome, "reason": reason}
    try:
        service.transition_order(
            p.session,
            order_id=order.id,
            action=closed_loop.contact_action(outcome),
            actor_id=p.principal.user_id,
            reason=_note(reason),
            outcome=outcome,
            expected_version=_version(version),
        )
        p.session.flush()
    except (ManyiError, StaleDataError) as exc:
        return refuse(p, number, "contact", exc, values, ("outcome", "reason"))
    done = p.gettext(LABELS["contact_outcome"][outcome])
    return p.redirect(
        f"/orders/{number}", flash=p.gettext("Contact attempt logged: %(outcome)s") % {"outcome": done}
    )


@router.post("/orders/{number}/callback")
def callback(
    number: str,
    p: Annotated[Page, Depends(page)],
    version: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    p.require("ticket:callback")
    order = load_order(p, number)
    values = {"result": result, "reason": reason}
    try:
        service.transition_order(
            p.session,
            order_id=order.id,
            action=closed_loop.callback_action(result),
            actor_id=p.principal.user_id,
            reason=_note(reason),
            outcome=result,
            expected_version=_version(version),
        )
        p.session.flush()
    except (ManyiError, StaleDataError) as exc:
        # The service names the callback's result `outcome`; the form calls it `result`.
        if isinstance(exc, ManyiError) and exc.field == "outcome":
            exc.field = "result"
        return refuse(p, number, "callback", exc, values, ("result", "reason"))
    done = p.gettext(LABELS["callback_result"][result])
    return p.redirect(
        f"/orders/{number}", flash=p.gettext("Callback recorded: %(result)s") % {"result": done}
    )
