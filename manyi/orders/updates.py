"""A TMF621 merge-patch as a sequence of order service calls, all in the request's unit of work."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from manyi.api.deps import Ctx
from manyi.api.errors import ApiError
from manyi.core.errors import ValidationFailed
from manyi.core.masking import mask_text
from manyi.orders import service
from manyi.orders.models import WorkOrder
from manyi.orders.tmf_schemas import RelatedParty, TroubleTicketUpdate
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
        "region",
        "slaClock",
        "slaBreached",
        "nextActions",
        "version",
        # Not TMF fields, but what clients try for the first-responsible agent (首问责任制) and the
        # creator: neither ever changes, so they are refused rather than ignored.
        "owner",
        "ownerId",
        "createdBy",
    }
)
# Everything TroubleTicketUpdate reads; any other key would be silently ignored, so it is refused.
WRITABLE = frozenset(
    {"@type", *(field.alias or name for name, field in TroubleTicketUpdate.model_fields.items())}
)


def status_action(order: WorkOrder, target: str) -> str:
    """The lifecycle action that moves order to the TMF status target."""
    current = order.status
    if target == "inProgress":
        if current in ("pending", "held"):
            return "resume"
        if current in ("resolved", "closed"):
            return "reopen"
        return "contact"
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
    if any(v is not None for v in (update.description, update.name, update.priority, update.severity)):
        priority = None
        if update.priority is not None:
            if not update.priority.isdigit():
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
        service.add_note(c.session, order_id=order.id, text=note.text, actor_id=actor)
    if update.team is not None:
        try:
            team_id = int(update.team.id)
        except ValueError:
            raise ValidationFailed(
                f"team.id: expected a team id, got {update.team.id!r}", field="team"
            ) from None
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
    if update.status is not None and update.status != order.status:
        service.transition_order(
            c.session,
            order_id=order.id,
            action=status_action(order, update.status),
            actor_id=actor,
            reason=update.status_change_reason,
            # A standard client only knows statusChangeReason; it stands for the code then.
            resolution_code=update.resolution_code or update.status_change_reason,
            resolution=update.status_change_reason,
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
