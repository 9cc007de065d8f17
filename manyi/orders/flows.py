"""Multi-step order operations named for what the person does: a field technician's one-tap job
actions (arrived, customer not home, done), each a service call in the caller's unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.core.limits import RESOLUTION_MAX
from manyi.orders.models import WorkOrder
from manyi.orders.resolutions import check_on_site_resolution
from manyi.orders.service import transition_order

NOT_HOME = "customer not home"


def job_arrived_flow(session: Session, *, order: WorkOrder, actor_id: int) -> WorkOrder:
    """The technician is at the customer's premises."""
    return transition_order(session, order_id=order.id, action="arrive", actor_id=actor_id)


def job_not_home_flow(session: Session, *, order: WorkOrder, actor_id: int, text: str = "") -> WorkOrder:
    """Log a failed visit: a contact attempt noted "customer not home" (plus what the technician adds)."""
    extra = text.strip()
    reason = f"{NOT_HOME}: {extra}" if extra else NOT_HOME
    return transition_order(
        session, order_id=order.id, action="contact_failed", actor_id=actor_id, reason=reason
    )


def job_done_flow(
    session: Session, *, order: WorkOrder, actor_id: int, resolution_code: str, notes: str = ""
) -> WorkOrder:
    """Finish the job on site with a resolution code and the technician's notes."""
    check_on_site_resolution(resolution_code)
    if len(notes) > RESOLUTION_MAX:
        raise ValidationFailed(f"notes: expected at most {RESOLUTION_MAX} characters", field="notes")
    return transition_order(
        session,
        order_id=order.id,
        action="resolve",
        actor_id=actor_id,
        resolution_code=resolution_code,
        resolution=notes.strip() or None,
    )
