"""Work-order services: create, transition, transfer, assign, note. Flush, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.core.db import add_persistent, full_row, insert_persistent
from manyi.core.errors import NotFound, StaleVersion, ValidationFailed
from manyi.core.fastsql import FastInsert, LinkedInsert, linked_insert_supported
from manyi.core.ids import order_number
from manyi.core.sequences import next_value
from manyi.orders import callbacks, lifecycle
from manyi.orders.history import EVENT_INSERT, event_row, record_event
from manyi.orders.hooks import order_changed
from manyi.orders.models import ORDER_NUMBERS, OrderNote, WorkOrder
from manyi.orders.planning import plan_order
from manyi.orders.routing import check_assignee, least_loaded_member
from manyi.orders.texts import check_note_room, check_texts
from manyi.orders.transfers import check_transfer_target
from manyi.org.models import Team, User
from manyi.org.reference import region_chain
from manyi.sla.service import CLOCK_INSERT, insert_clocks, on_order_changed

CHANNELS = ("hotline", "hall", "web", "app", "sms", "partner", "field", "system")
SEVERITIES = ("critical", "major", "minor")


def _next_number(session: Session, at: datetime) -> str:
    """The next readable number, e.g. GD20261122000123: local date + a sequence that never blocks."""
    return order_number(at.astimezone(lifecycle_zone()), next_value(session, ORDER_NUMBERS))


_ORDER_INSERT = FastInsert(
    WorkOrder.__table__,  # type: ignore[arg-type]
    [c.key for c in WorkOrder.__table__.columns if c.key != "id"],
)
# PostgreSQL: the order, its clocks and its "created" event in one statement, the number's sequence
# value taken in it too: one round trip where there were four. The number is the date prefix of
# ids.order_number (passed in) and the sequence value padded to its six digits, as order_number pads.
_ORDER_LINKED = LinkedInsert(
    _ORDER_INSERT,
    [(CLOCK_INSERT, "order_id"), (EVENT_INSERT, "order_id")],
    returning=["number"],
    ctes=[f"seq AS (SELECT nextval('{ORDER_NUMBERS.name}')::text AS n)"],
    expressions={"number": "(SELECT {} || lpad(n, greatest(length(n), 6), '0') FROM seq)"},
)


def _number_prefix(at: datetime) -> str:
    """order_number without its sequence digits: GD and the local date."""
    return order_number(at.astimezone(lifecycle_zone()), 0)[:-6]


def _insert_linked(
    session: Session,
    values: dict[str, Any],
    clocks: list[dict[str, Any]],
    event: dict[str, Any],
    at: datetime,
) -> WorkOrder:
    row = full_row(WorkOrder, values)
    row["number"] = _number_prefix(at)
    row["id"], row["number"] = _ORDER_LINKED.execute(session, row, [clocks, [event]])
    return add_persistent(session, WorkOrder, row)


def lifecycle_zone() -> Any:
    from manyi.core.clock import zone
    from manyi.core.settings import get_settings

    return zone(get_settings().default_timezone)


def _choice(value: Any, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise ValidationFailed(f"{field}: expected one of {', '.join(allowed)}, got {value!r}", field=field)


def create_order(
    session: Session,
    *,
    type: str,
    description: str,
    channel: str,
    region_code: str,
    category_code: str | None = None,
    customer_id: int | None = None,
    subscription_id: int | None = None,
    priority: int = 3,
    severity: str = "minor",
    title: str | None = None,
    actor_id: int | None = None,
    parent_id: int | None = None,
    external_id: str | None = None,
    idempotency_key: str | None = None,
    region_pending: bool = False,
    at: datetime | None = None,
) -> WorkOrder:
    """Record a customer request as a work order, route it, start its SLA clocks; idempotent by key.

    region_pending: the region is the triage region, not the customer's; a dispatcher places it
    (manyi.orders.triage)."""
    at = ensure_aware(at or now(), field="at")
    check_texts(description=description, name=title, external_id=external_id, idempotency_key=idempotency_key)
    if idempotency_key:
        existing = session.scalars(
            select(WorkOrder).where(WorkOrder.idempotency_key == idempotency_key)
        ).first()
        if existing:
            return existing
    if external_id:
        existing = session.scalars(
            select(WorkOrder).where(WorkOrder.channel == channel, WorkOrder.external_id == external_id)
        ).first()
        if existing:
            return existing
    lifecycle.check_type(type)
    _choice(channel, CHANNELS, "channel")
    _choice(severity, SEVERITIES, "severity")
    if not description or not description.strip():
        raise ValidationFailed("description: expected a non-empty text", field="description")
    planned = plan_order(
        session,
        type=type,
        channel=channel,
        region_code=region_code,
        priority=priority,
        category_code=category_code,
        customer_id=customer_id,
        subscription_id=subscription_id,
        at=at,
    )
    category, product = planned.category, planned.product
    parent = session.get(WorkOrder, parent_id) if parent_id is not None else None
    if parent_id is not None and (parent is None or parent.deleted_at is not None):
        raise ValidationFailed(f"parent: unknown work order id {parent_id}", field="parent")
    if actor_id is not None and session.get(User, actor_id) is None:
        raise ValidationFailed(f"actor: unknown user id {actor_id}", field="actor")

    status, stage = lifecycle.INITIAL
    values: dict[str, Any] = dict(
        type=type,
        category_id=category.id if category else None,
        channel=channel,
        priority=priority,
        severity=severity,
        status=status,
        stage=stage,
        title=title,
        description=description.strip(),
        customer_id=customer_id,
        subscription_id=subscription_id,
        product=product,
        region_code=region_code,
        owner_id=actor_id,  # 首问责任制: whoever accepts the request owns it until closure
        created_by_id=actor_id,
        parent_id=parent_id,
        external_id=external_id,
        idempotency_key=idempotency_key,
        region_pending=region_pending,
        created_at=at,
        updated_at=at,
        version=1,
    )
    clocks = planned.clocks.rows
    values.update(
        team_id=planned.team_id,
        sla_policy_id=planned.clocks.policy_id,
        sla_provisional=planned.clocks.provisional,
    )
    event = event_row(
        order_id=None,
        action="created",
        at=at,
        actor_id=actor_id,
        changes={
            "status": (None, status),
            "stage": (None, stage),
            "team_id": (None, values["team_id"]),
            **({"region_pending": (None, True)} if region_pending else {}),
        },
    )
    # Plain inserts, not the unit of work: this runs for every customer request, and the ORM's
    # bookkeeping would cost more than the statements themselves (bench/bench_order_create.py).
    if linked_insert_supported(session):
        order = _insert_linked(session, values, clocks, event, at)
    else:
        values["number"] = _next_number(session, at)
        order = insert_persistent(session, WorkOrder, values)
        insert_clocks(session, order_id=order.id, clocks=clocks)
        EVENT_INSERT.execute(session, [event | {"order_id": order.id}])
    if parent is not None:
        parent.link_count += 1
    order_changed(session, order, "created", {})
    return order


def get_order(session: Session, *, order_id: int | None = None, number: str | None = None) -> WorkOrder:
    """Return the order with this id or number, or raise NotFound."""
    order = None
    if order_id is not None:
        order = session.get(WorkOrder, order_id)
    elif number is not None:
        order = session.scalars(select(WorkOrder).where(WorkOrder.number == number)).first()
    if order is None or order.deleted_at is not None:
        raise NotFound(f"work order {number or order_id} does not exist")
    return order


def _check_version(order: WorkOrder, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != order.version:
        raise StaleVersion(
            f"work order {order.number} was changed by someone else (version {order.version}, you had {expected_version})"
        )


def transition_order(
    session: Session,
    *,
    order_id: int,
    action: str,
    actor_id: int | None = None,
    reason: str | None = None,
    resolution_code: str | None = None,
    resolution: str | None = None,
    appointment_at: datetime | None = None,
    outcome: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Apply a lifecycle action to an order, record it, and move its SLA clocks accordingly.

    `outcome` is a contact attempt's (reached, not_reached, wrong_number) or a callback's result
    (satisfied, basically_satisfied, unsatisfied, unreachable): see manyi.orders.callbacks."""
    at = ensure_aware(at or now(), field="at")
    order = get_order(session, order_id=order_id)
    _check_version(order, expected_version)
    if action == "transfer":
        raise ValidationFailed("action: a transfer needs the target team; use `transfer`", field="action")
    check_texts(reason=reason, resolution=resolution, resolution_code=resolution_code)
    step = lifecycle.apply(
        order.type, order.status, order.stage, action, stage_before_pause=order.stage_before_pause
    )
    if action in ("pause", "hold") and not (reason and reason.strip()):
        raise ValidationFailed(f"reason: {action} needs a reason the customer can be told", field="reason")
    # Any non-empty code: API clients send their own; staff pages offer resolutions.RESOLUTION_CODES.
    if action == "resolve" and not resolution_code:
        raise ValidationFailed(
            "resolution_code: resolving an order needs a resolution code", field="resolution_code"
        )
    if action == "appoint":
        if appointment_at is None:
            raise ValidationFailed(
                "appointment_at: booking an appointment needs its date and time", field="appointment_at"
            )
        appointment_at = ensure_aware(appointment_at, field="appointment_at")
    outcome = callbacks.check_step(
        session, order=order, action=action, outcome=outcome, reason=reason, actor_id=actor_id
    )

    before = {
        "status": order.status,
        "stage": order.stage,
        "resolution_code": order.resolution_code,
        "appointment_at": order.appointment_at,
        "contact_attempts": order.contact_attempts,
        "reopen_count": order.reopen_count,
    }
    old_status, old_stage = order.status, order.stage
    if step.status in lifecycle.PAUSED and old_status not in lifecycle.PAUSED:
        order.stage_before_pause = old_stage
    order.status, order.stage = step.status, step.stage
    if action in ("contact", "contact_failed"):
        order.contact_attempts += 1
    if action == "appoint":
        order.appointment_at = appointment_at
    if action == "resolve":
        order.resolution_code, order.resolution, order.resolved_at = resolution_code, resolution, at
    if step.status == "closed":
        order.closed_at = at
    if lifecycle.is_reopen(action):
        order.reopen_count += 1
        order.resolved_at = order.closed_at = None
    order.updated_at = at
    after = {k: getattr(order, k) for k in before}
    record_event(
        session,
        order=order,
        action=action,
        at=at,
        actor_id=actor_id,
        changes={k: (before[k], after[k]) for k in before} | callbacks.outcome_change(action, outcome),
        note=reason or resolution,
    )
    callbacks.record_step(
        session, order=order, action=action, outcome=outcome, note=reason, actor_id=actor_id, at=at
    )
    session.flush()
    on_order_changed(session, order=order, old_status=old_status, old_stage=old_stage, at=at)
    session.flush()
    changes = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    order_changed(session, order, "status" if old_status != order.status else "attributes", changes)
    return order


def transfer_order(
    session: Session,
    *,
    order_id: int,
    team_id: int,
    actor_id: int | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Hand the work to another team that can see it; the first-responsible owner stays the same."""
    at = ensure_aware(at or now(), field="at")
    order = get_order(session, order_id=order_id)
    _check_version(order, expected_version)
    lifecycle.apply(order.type, order.status, order.stage, "transfer")
    check_texts(reason=reason)
    team = session.get(Team, team_id)
    if team is None:
        raise ValidationFailed(f"team: unknown team id {team_id}", field="team")
    check_transfer_target(
        order_region=order.region_code,
        order_region_chain=region_chain(session, order.region_code),
        team_id=team.id,
        team_label=team.name,
        team_region=team.region_code,
    )
    before = (order.team_id, order.assignee_id)
    order.team_id, order.assignee_id, order.updated_at = team_id, None, at
    record_event(
        session,
        order=order,
        action="transfer",
        at=at,
        actor_id=actor_id,
        changes={"team_id": (before[0], team_id), "assignee_id": (before[1], None)},
        note=reason,
    )
    session.flush()
    order_changed(session, order, "attributes", {"team_id": (before[0], team_id)})
    return order


def assign_order(
    session: Session,
    *,
    order_id: int,
    assignee_id: int | None = None,
    skill: str | None = None,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Assign to a given member of the order's team, or to the member with the least open load."""
    at = ensure_aware(at or now(), field="at")
    order = get_order(session, order_id=order_id)
    if order.status in lifecycle.TERMINAL:
        raise ValidationFailed(
            f"work order {order.number} is {order.status}; it cannot be assigned", field="assignee"
        )
    if assignee_id is None:
        if order.team_id is None:
            raise ValidationFailed("team: the order has no team; transfer it to a team first", field="team")
        member = least_loaded_member(session, team_id=order.team_id, skill=skill)
        if member is None:
            raise ValidationFailed(
                f"assignee: no active member of team {order.team_id} has skill {skill!r}", field="assignee"
            )
        assignee_id = member.id
    else:
        # Here, not in each caller (console, API, board), so no entry point can hand work elsewhere.
        user = session.get(User, assignee_id)
        check_assignee(
            assignee_id,
            active=user is not None and user.active,
            member_of=user.team_id if user is not None else None,
            team_id=order.team_id,
        )
    before = order.assignee_id
    order.assignee_id, order.updated_at = assignee_id, at
    record_event(
        session,
        order=order,
        action="assigned",
        at=at,
        actor_id=actor_id,
        changes={"assignee_id": (before, assignee_id)},
    )
    session.flush()
    order_changed(session, order, "attributes", {"assignee_id": (before, assignee_id)})
    return order


def add_note(
    session: Session, *, order_id: int, text: str, actor_id: int | None = None, at: datetime | None = None
) -> OrderNote:
    """Attach a note to an order (and to its history)."""
    at = ensure_aware(at or now(), field="at")
    if not text.strip():
        raise ValidationFailed("text: a note cannot be empty", field="text")
    check_texts(text=text)
    order = get_order(session, order_id=order_id)
    check_note_room(order.note_count)
    note = OrderNote(order_id=order.id, author_id=actor_id, text=text.strip(), created_at=at)
    session.add(note)
    order.updated_at = at
    order.note_count += 1
    record_event(session, order=order, action="note", at=at, actor_id=actor_id, note=text.strip())
    session.flush()
    order_changed(session, order, "attributes", {"note": (None, note.text)})
    return note


def update_order(
    session: Session,
    *,
    order_id: int,
    title: str | None = None,
    description: str | None = None,
    priority: int | None = None,
    severity: str | None = None,
    actor_id: int | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Change an order's descriptive attributes (not its lifecycle, owner or team); record before/after."""
    at = ensure_aware(at or now(), field="at")
    order = get_order(session, order_id=order_id)
    _check_version(order, expected_version)
    if order.status in lifecycle.TERMINAL:
        raise ValidationFailed(
            f"work order {order.number} is {order.status}; it cannot be edited", field="status"
        )
    wanted: dict[str, Any] = {}
    check_texts(name=title, description=description)
    if title is not None:
        wanted["title"] = title.strip() or None
    if description is not None:
        if not description.strip():
            raise ValidationFailed("description: expected a non-empty text", field="description")
        wanted["description"] = description.strip()
    if priority is not None:
        if not 1 <= priority <= 4:
            raise ValidationFailed(
                f"priority: expected 1 (highest) to 4 (lowest), got {priority}", field="priority"
            )
        wanted["priority"] = priority
    if severity is not None:
        _choice(severity, SEVERITIES, "severity")
        wanted["severity"] = severity
    changes = {k: (getattr(order, k), v) for k, v in wanted.items() if getattr(order, k) != v}
    if not changes:
        return order
    for key, (_before, after) in changes.items():
        setattr(order, key, after)
    order.updated_at = at
    record_event(session, order=order, action="updated", at=at, actor_id=actor_id, changes=changes)
    session.flush()
    order_changed(session, order, "attributes", changes)
    return order


def delete_order(
    session: Session,
    *,
    order_id: int,
    actor_id: int | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> None:
    """Withdraw an order: cancel it if still open, then hide it. Its rows and history stay, for audit."""
    at = ensure_aware(at or now(), field="at")
    order = get_order(session, order_id=order_id)
    _check_version(order, expected_version)
    if order.status in lifecycle.OPEN_STATUSES:
        transition_order(
            session,
            order_id=order.id,
            action="cancel",
            actor_id=actor_id,
            reason="deleted through the API",
            at=at,
        )
    order.deleted_at = at
    record_event(
        session, order=order, action="deleted", at=at, actor_id=actor_id, changes={"deleted_at": (None, at)}
    )
    session.flush()


def list_orders(
    session: Session,
    *,
    status: str | None = None,
    type: str | None = None,
    region_code: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[WorkOrder], int]:
    """Return a page of orders (newest first) and the total matching."""
    query = select(WorkOrder)
    if status:
        query = query.where(WorkOrder.status == status)
    if type:
        query = query.where(WorkOrder.type == type)
    if region_code:
        query = query.where(WorkOrder.region_code == region_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WorkOrder.id.desc()).offset(offset).limit(limit))
    return list(rows), int(total)
