"""A TMF621 merge-patch as a sequence of order service calls, all in the request's unit of work."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from manyi.api.errors import ApiError
from manyi.auth.deps import Ctx
from manyi.core.errors import ValidationFailed
from manyi.core.limits import is_whole_number
from manyi.core.masking import mask_text
from manyi.orders import closed_loop, service
from manyi.orders.models import WorkOrder
from manyi.orders.tmf.schemas import NoteIn, RelatedParty, TroubleTicketUpdate
from manyi.orders.triage import place_order
from manyi.org.reference import team_name, user_by_username, user_index

READ_ONLY = frozenset(
    {
        "id",
        "href",
        "creationDate",
        "lastUpdate",
        "statusChange",
        "statusChangeDate",
        "resolutionDate",
        "expectedResolutionDate",
        "ticketType",
        "channel",
        "externalId",
        "attachment",
        "relatedEntity",
        "troubleTicketRelationship",
        "requestedResolutionDate",
        "@baseType",
        "@schemaLocation",
        "stage",
        "category",
        "slaClock",
        "slaBreached",
        "nextActions",
        "callback",
        "version",
        # Not TMF fields, but what clients try for the first-responsible agent (首问责任制) and the
        # creator: neither ever changes, so they are refused rather than ignored.
        "owner",
        "ownerId",
        "createdBy",
    }
)
CONTACT_NOTE = "ContactAttemptNote"  # a Note subtype: a contact attempt with its outcome

# Everything TroubleTicketUpdate reads; any other key would be silently ignored, so it is refused.
WRITABLE = frozenset(
    {"@type", *(field.alias or name for name, field in TroubleTicketUpdate.model_fields.items())}
)


def status_action(order: WorkOrder, target: str, callback_result: str | None = None) -> str:
    """The lifecycle action that moves order to the TMF status target (with a callback's result,
    the callback that closes or re-opens a resolved ticket)."""
    current = order.status
    if callback_result is not None:
        if callback_result not in closed_loop.CALLBACK_RESULTS:
            raise ValidationFailed(
                f"callbackResult: expected one of {', '.join(closed_loop.CALLBACK_RESULTS)}, got {callback_result!r}",
                field="callbackResult",
            )
        action = closed_loop.callback_action(callback_result)
        wanted = "closed" if action == "callback_ok" else "inProgress"
        if target != wanted or current != "resolved":
            raise ValidationFailed(
                f"callbackResult: {callback_result!r} is the callback of a resolved ticket and moves it to "
                f"{wanted}; the ticket is {current} and the patch asks for {target}",
                field="callbackResult",
            )
        return action
    if target == "inProgress":
        if current in ("pending", "held"):
            return "resume"
        if current in ("resolved", "closed"):
            return "reopen"
        # A status change is not a contact: record one with a ContactAttemptNote.
        return "start"
    if target == "closed" and current == "resolved" and closed_loop.needs_callback(order.type):
        raise ValidationFailed(
            f"callbackResult: a resolved {order.type} closes only through its callback; send status closed "
            "with callbackResult satisfied, basically_satisfied or unreachable (or inProgress with unsatisfied)",
            field="callbackResult",
        )
    actions = {
        "pending": "pause",
        "held": "hold",
        "resolved": "resolve",
        "closed": "close",
        "cancelled": "cancel",
        "rejected": "reject",
    }
    if target not in actions:
        raise ValidationFailed(
            f"status: cannot move a ticket to {target!r}; expected one of inProgress, {', '.join(actions)}",
            field="status",
        )
    return actions[target]


def apply_patch(c: Ctx, order: WorkOrder, patch: dict[str, Any]) -> None:
    """Apply attribute changes, notes, assignment, transfer, then the status change."""
    for key in patch:
        if key in READ_ONLY:
            raise ApiError(400, f"{key}: is read-only and cannot be changed with PATCH", field=key)
        if key not in WRITABLE:
            raise ApiError(
                400,
                f"{key}: not a ticket field PATCH can change; expected {', '.join(sorted(WRITABLE))}",
                field=key,
            )
    if patch.get("@type") not in (None, "TroubleTicket", "ManyiTroubleTicket"):
        raise ApiError(
            400, f"@type: expected TroubleTicket or ManyiTroubleTicket, got {patch['@type']!r}", field="@type"
        )
    try:
        update = TroubleTicketUpdate.model_validate(patch)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(400, f"{where}: {first['msg']}", field=where) from None
    assignees = _assignees(c, order, update.related_party or [])
    if not c.principal.can("pii:read"):
        # Sent back as read (masked): unchanged, not a request to overwrite the stored numbers.
        if update.description is not None and update.description == mask_text(order.description):
            update.description = None
        if update.name is not None and update.name == mask_text(order.title):
            update.name = None
    actor = c.principal.user_id
    # A dispatcher places a ticket waiting in triage; the same region again changes nothing.
    if update.region is not None and (order.region_pending or update.region.id != order.region_code):
        place_order(
            c.session, order_id=order.id, region_code=update.region.id, actor_id=actor, scope=c.scope()
        )
    if any(v is not None for v in (update.description, update.name, update.priority, update.severity)):
        priority = None
        if update.priority is not None:
            if not is_whole_number(update.priority, low=1, high=4):
                raise ValidationFailed(
                    f"priority: expected 1 (highest) to 4 (lowest), got {update.priority!r}", field="priority"
                )
            priority = int(update.priority)
        service.update_order(
            c.session,
            order_id=order.id,
            title=update.name,
            description=update.description,
            priority=priority,
            severity=update.severity,
            actor_id=actor,
        )
    for note in update.note or []:
        _note(c, order, note)
    if update.team is not None:
        if not is_whole_number(update.team.id, low=1):
            raise ValidationFailed(f"team.id: expected a team id, got {update.team.id!r}", field="team")
        team_id = int(update.team.id)
        if team_name(c.session, team_id) is None:
            raise ValidationFailed(f"team.id: unknown team {team_id}", field="team")
        if team_id != order.team_id:
            service.transfer_order(
                c.session,
                order_id=order.id,
                team_id=team_id,
                actor_id=actor,
                reason=update.status_change_reason,
            )
    for party in assignees:
        user = user_by_username(c.session, party.id)
        if user is None:
            raise ValidationFailed(f"relatedParty: unknown user {party.id!r}", field="relatedParty")
        if user.id != order.assignee_id:
            service.assign_order(c.session, order_id=order.id, assignee_id=user.id, actor_id=actor)
    target = update.status
    if update.callback_result is not None and target is None:  # the result says where it goes
        target = "inProgress" if update.callback_result == "unsatisfied" else "closed"
    if target is not None and (target != order.status or update.callback_result is not None):
        service.transition_order(
            c.session,
            order_id=order.id,
            action=status_action(order, target, update.callback_result),
            actor_id=actor,
            reason=update.status_change_reason,
            # A standard client only knows statusChangeReason; it stands for the code then.
            resolution_code=update.resolution_code or update.status_change_reason,
            resolution=update.status_change_reason,
            outcome=update.callback_result,
        )


def check_note_type(note: NoteIn, *, at_creation: bool) -> bool:
    """Whether the note records a contact attempt (refused at creation: attempts are made on a ticket)."""
    if note.type_ in (None, "Note"):
        if note.outcome is not None:
            raise ValidationFailed(
                f"note.outcome: only a {CONTACT_NOTE} (note @type) has an outcome", field="note"
            )
        return False
    if note.type_ != CONTACT_NOTE:
        raise ValidationFailed(
            f"note.@type: expected Note or {CONTACT_NOTE}, got {note.type_!r}", field="note"
        )
    if at_creation:
        raise ValidationFailed(
            f"note: a {CONTACT_NOTE} records an attempt to reach the customer on an existing ticket; "
            "send it with PATCH",
            field="note",
        )
    return True


def _note(c: Ctx, order: WorkOrder, note: NoteIn) -> None:
    """A plain note, or a contact attempt: `reached` meets the first-contact clock, the others are
    failed attempts the contact rule counts."""
    if not check_note_type(note, at_creation=False):
        service.add_note(c.session, order_id=order.id, text=note.text, actor_id=c.principal.user_id)
        return
    if note.outcome not in closed_loop.CONTACT_OUTCOMES:
        raise ValidationFailed(
            f"note.outcome: a {CONTACT_NOTE} needs its outcome, one of "
            f"{', '.join(closed_loop.CONTACT_OUTCOMES)}; got {note.outcome!r}",
            field="note",
        )
    service.transition_order(
        c.session,
        order_id=order.id,
        action=closed_loop.contact_action(note.outcome),
        actor_id=c.principal.user_id,
        reason=note.text,
        outcome=note.outcome,
    )


def _party_role(party: RelatedParty) -> str:
    role = (party.role or "").lower()
    return "customer" if not role and party.referred_type == "Customer" else role


def _assignees(c: Ctx, order: WorkOrder, parties: list[RelatedParty]) -> list[RelatedParty]:
    """The assignee entries of a PATCH's relatedParty; the customer and the owner may only be
    echoed back unchanged (a GET-modify-PATCH client sends them), never changed: a change would
    otherwise be answered 200 and silently not made."""
    owner = user_index(c.session).get(order.owner_id) if order.owner_id else None
    current = {
        "customer": str(order.customer_id) if order.customer_id else None,
        "owner": owner.username if owner else None,
    }
    assignees = []
    for i, party in enumerate(parties):
        role = _party_role(party)
        if role == "assignee":
            assignees.append(party)
        elif role in current:
            if party.id != current[role]:
                what = "customer" if role == "customer" else "owner (the first-responsible agent, 首问责任人)"
                raise ApiError(
                    400,
                    f"relatedParty[{i}]: the ticket's {what} is read-only and cannot be changed with "
                    f"PATCH (it is {current[role] or 'not set'}, got {party.id!r})",
                    field="relatedParty",
                )
        else:
            raise ApiError(
                400,
                f"relatedParty[{i}].role: expected assignee (customer and owner are read-only), "
                f"got {party.role!r}",
                field="relatedParty",
            )
    return assignees
