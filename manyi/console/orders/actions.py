"""The order page's forms: lifecycle actions, assignment, notes. Each POST calls one order service
with the acting staff member and the version the page showed, then redirects back with a flash; a
refused one rolls back and shows the page again with the reason next to the field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlalchemy.orm.exc import StaleDataError

from manyi.console.deps import Page, page, query_int
from manyi.console.labels import LABELS
from manyi.console.orders.view import ACTION_FIELDS, load_order, render_order
from manyi.core.clock import zone
from manyi.core.errors import IllegalTransition, ManyiError, NotFound, StaleVersion, ValidationFailed
from manyi.core.settings import get_settings
from manyi.orders import service
from manyi.orders.closed_loop import (
    CallbackNotAllowed,
    CallbackRequired,
    NotYetUnreachable,
    WithdrawalNotAllowed,
)
from manyi.orders.transfers import TransferOutsideRegion

router = APIRouter(include_in_schema=False)

# Domain messages are English sentences with details for API clients; staff get one sentence in
# their language, keyed by the field the service names.
FIELD_MESSAGES = {
    "reason": "Give a reason the customer can be told.",
    "resolution_code": "Choose or type a resolution code.",
    "appointment_at": "Enter the appointment date and time.",
    "team": "Choose a team.",
    "assignee": "Choose an active member of the order's team.",
    "text": "Write the note first.",
    "outcome": "Choose the outcome of the contact attempt.",
    "result": "Choose the result of the callback.",
}
# The closed loop's refusals (manyi.orders.callbacks), said the way staff understand them.
LOOP_MESSAGES: dict[type[ManyiError], str] = {
    CallbackNotAllowed: "The callback is made by the callback seats, not by whoever resolved the order.",
    WithdrawalNotAllowed: "Only complaint handlers and supervisors may cancel or reject a complaint.",
    CallbackRequired: "A complaint closes through its callback: record the callback and its result.",
}


def _version(raw: str) -> int:
    version = query_int(raw)
    if version is None:
        raise StaleVersion("the form did not say which version of the order it was made from")
    return version


def _appointment(raw: str) -> datetime | None:
    """A datetime-local value, read in the operator's time zone (what the agent agreed by phone)."""
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed("appointment_at: not a date and time", field="appointment_at") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(get_settings().default_timezone))
    return value


def _team(raw: str) -> int:
    team_id = query_int(raw)
    if team_id is None:
        raise ValidationFailed("team: choose a team", field="team")
    return team_id


def explain(p: Page, exc: Exception) -> str:
    """The sentence staff read for a refused action."""
    if too_long := p.too_long(exc):
        return too_long
    if isinstance(exc, (StaleVersion, StaleDataError)):
        return p.gettext(
            "Someone else changed this order while you were looking at it. The page now shows the "
            "latest version; check it and try again."
        )
    if isinstance(exc, IllegalTransition):
        return p.gettext(
            "This action is not possible for the order as it is now. The page shows what can be done."
        )
    if isinstance(exc, NotYetUnreachable):
        return unreachable_message(p, exc)
    loop_message = next((m for kind, m in LOOP_MESSAGES.items() if isinstance(exc, kind)), None)
    if loop_message is not None:
        return p.gettext(loop_message)
    if isinstance(exc, TransferOutsideRegion):
        return p.gettext(
            "That team works in another region and could not see this order. Choose one of the teams offered."
        )
    if isinstance(exc, ManyiError) and exc.field in FIELD_MESSAGES:
        return p.gettext(FIELD_MESSAGES[exc.field])
    return exc.message if isinstance(exc, ManyiError) else str(exc)


def unreachable_message(p: Page, exc: NotYetUnreachable) -> str:
    """“2 of 3 attempts; next possible after 15:20”, in the user's language."""
    verdict = exc.verdict
    counts = {"n": len(verdict.counted), "required": verdict.required}
    if verdict.next_at is None:
        return p.gettext("%(n)s of %(required)s failed attempts: log a failed attempt first.") % counts
    local = verdict.next_at.astimezone(zone(get_settings().default_timezone))
    return p.gettext("%(n)s of %(required)s failed attempts; next possible after %(time)s.") % {
        **counts,
        "time": f"{local:%Y-%m-%d %H:%M}",
    }


def refuse(
    p: Page, number: str, form: str, exc: Exception, values: dict[str, str], fields: tuple[str, ...]
) -> Response:
    """Undo everything the attempt did and show the page again, the message next to its field."""
    p.session.rollback()
    order = load_order(p, number)
    field = exc.field if isinstance(exc, ManyiError) else None
    key = f"{form}-{field}" if field in fields else form
    status = 409 if isinstance(exc, StaleDataError) else exc.status if isinstance(exc, ManyiError) else 400
    message = explain(p, exc)
    return render_order(
        p,
        order,
        status_code=status,
        errors={key: message},
        values={f"{form}-{k}": v for k, v in values.items()},
        problem=message,
        problem_form=form,
    )


@router.post("/orders/{number}/act/{action}")
def act(
    number: str,
    action: str,
    p: Annotated[Page, Depends(page)],
    version: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    appointment_at: Annotated[str, Form()] = "",
    resolution_code: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
) -> Response:
    p.require("ticket:update")
    order = load_order(p, number)
    if action not in ACTION_FIELDS:
        raise NotFound(p.gettext("No such action."))
    values = {
        "reason": reason,
        "appointment_at": appointment_at,
        "resolution_code": resolution_code,
        "resolution": resolution,
        "team": team,
    }
    try:
        expected = _version(version)
        if action == "transfer":
            service.transfer_order(
                p.session,
                order_id=order.id,
                team_id=_team(team),
                actor_id=p.principal.user_id,
                reason=reason.strip() or None,
                expected_version=expected,
            )
        else:
            service.transition_order(
                p.session,
                order_id=order.id,
                action=action,
                actor_id=p.principal.user_id,
                reason=reason.strip() or None,
                resolution_code=resolution_code.strip() or None,
                resolution=resolution.strip() or None,
                appointment_at=_appointment(appointment_at) if action == "appoint" else None,
                expected_version=expected,
            )
        p.session.flush()
    except (ManyiError, StaleDataError) as exc:
        return refuse(p, number, action, exc, values, ACTION_FIELDS[action])
    done = p.gettext(LABELS["action"][action])
    return p.redirect(f"/orders/{number}", flash=p.gettext("Done: %(action)s") % {"action": done})


@router.post("/orders/{number}/assign")
def assign(
    number: str,
    p: Annotated[Page, Depends(page)],
    version: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
) -> Response:
    p.require("ticket:update")
    order = load_order(p, number)
    try:
        if _version(version) != order.version:  # assign_order takes no version: check it here
            raise StaleVersion(f"work order {number} changed since version {version}")
        assignee_id = query_int(assignee)
        if assignee_id is None:
            raise ValidationFailed("assignee: choose a member", field="assignee")
        # The service refuses anyone outside the order's team, as the form offers: a forged post
        # cannot hand it elsewhere.
        service.assign_order(
            p.session, order_id=order.id, assignee_id=assignee_id, actor_id=p.principal.user_id
        )
        p.session.flush()
    except (ManyiError, StaleDataError) as exc:
        return refuse(p, number, "assign", exc, {"assignee": assignee}, ("assignee",))
    return p.redirect(f"/orders/{number}", flash=p.gettext("Assigned."))


@router.post("/orders/{number}/note")
def note(
    number: str,
    p: Annotated[Page, Depends(page)],
    text: Annotated[str, Form()] = "",
) -> Response:
    p.require("ticket:update")
    order = load_order(p, number)
    try:
        service.add_note(p.session, order_id=order.id, text=text, actor_id=p.principal.user_id)
        p.session.flush()
    except (ManyiError, StaleDataError) as exc:
        return refuse(p, number, "note", exc, {"text": text}, ("text",))
    return p.redirect(f"/orders/{number}", flash=p.gettext("Note added."))
