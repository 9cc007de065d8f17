"""The customer panel's audited changes: the customer's history (who changed what, when, before and
after, why; phones masked without pii:read) and the red/blue list change for roles with
customer:flag (a reason is required; the service checks both). The routes are in workbench.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from manyi.console.deps import Page
from manyi.console.labels import label
from manyi.console.templating import local
from manyi.console.workbench.view import customer_labels
from manyi.core.errors import ManyiError, StaleVersion
from manyi.customers.history import customer_history, shown_changes
from manyi.customers.models import Customer
from manyi.customers.service import LIST_FLAGS, update_customer
from manyi.org.reference import region_index, user_index

HISTORY_ROWS = 50
FIELD_NAMES = {
    "customer_no": "Customer no.",
    "name": "Name",
    "phone": "Phone",
    "id_number": "ID number",
    "brand": "Brand",
    "vip_level": "VIP level",
    "list_flag": "Red/blue list",
    "region_code": "Region",
}
EVENT_NAMES = {"created": "Customer created", "updated": "Customer data changed"}
FLAG_MESSAGES = {
    "listFlagReason": "Give the reason for the list change.",
    "listFlag": "Only supervisors and complaint handlers may change the red/blue list.",
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryRow:
    when: str
    who: str
    what: str
    changes: list[Change]
    reason: str


def _value_text(p: Page, labels: dict[str, Any]) -> Callable[[str, Any], str]:
    regions = region_index(p.session)

    def text(field: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if field == "list_flag":
            return str(labels["list_flag"].get(value, value))
        if field == "vip_level":
            return str(labels["vip"].get(value, value))
        if field == "brand":
            return label("brand", value)
        if field == "region_code":
            return regions[value].name if value in regions else str(value)
        return str(value)

    return text


def history_context(p: Page, customer: Customer) -> dict[str, Any]:
    """The history rows and the list form's choices, for workbench/customer.html."""
    events, total = customer_history(p.session, customer_id=customer.id, limit=HISTORY_ROWS)
    users = user_index(p.session)
    text = _value_text(p, customer_labels(p))
    pii = p.can("pii:read")
    rows = [
        HistoryRow(
            when=local(e.at),
            who=users[e.actor_id].display_name if e.actor_id in users else p.gettext("System"),
            what=p.gettext(EVENT_NAMES.get(e.action, e.action)),
            changes=[
                Change(
                    p.gettext(FIELD_NAMES[c["field"]]) if c["field"] in FIELD_NAMES else c["field"],
                    text(c["field"], c["before"]),
                    text(c["field"], c["after"]),
                )
                for c in shown_changes(e.changes, pii=pii)
            ],
            reason=e.note or "",
        )
        for e in events
    ]
    return {
        "changes": rows,
        "changes_total": total,
        "can_flag": p.can("customer:flag"),
        "list_flags": LIST_FLAGS,
    }


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


def change_list_flag(p: Page, customer: Customer, *, flag: str, reason: str, version: str) -> Refusal | None:
    """Set or clear the customer's list flag as the signed-in user; on refusal roll back and say why."""
    try:
        if not version.isdigit():
            raise StaleVersion("the form did not say which version of the customer it was made from")
        update_customer(
            p.session,
            customer_id=customer.id,
            changes={"list_flag": flag or None},
            actor_id=p.principal.user_id,
            reason=reason,
            expected_version=int(version),
        )
        p.session.flush()
    except (ManyiError, StaleDataError) as exc:
        p.session.rollback()
        field = exc.field if isinstance(exc, ManyiError) else None
        if isinstance(exc, (StaleVersion, StaleDataError)):
            message = p.gettext("Someone else changed this customer meanwhile; check the page and try again.")
        elif field in FLAG_MESSAGES:
            message = p.gettext(FLAG_MESSAGES[field])
        else:
            message = exc.message if isinstance(exc, ManyiError) else str(exc)
        return Refusal(exc.status if isinstance(exc, ManyiError) else 409, message)
    return None
