"""The order page's content: loading an order inside the caller's regions, and everything its
template shows (header, clocks, timeline, attachments, links, the forms of the legal actions)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse

from manyi.categories.tree import category_by_id
from manyi.console.deps import Page
from manyi.console.labels import LABELS
from manyi.console.orders.overview import order_overview, team_members, transfer_targets
from manyi.console.orders.timeline import Entry, order_timeline
from manyi.console.templating import local
from manyi.core.clock import now
from manyi.core.errors import NotFound
from manyi.core.masking import mask_phone, mask_service_number
from manyi.orders import closed_loop, lifecycle
from manyi.orders.callbacks import loop_log, may_call_back
from manyi.orders.models import WorkOrder
from manyi.orders.queries import visible_order
from manyi.orders.resolutions import RESOLUTION_CODES
from manyi.org.reference import region_index, team_name, user_index

# What each action's form asks for, in order; the service decides which of them are required.
# Contact attempts and callbacks have forms of their own (order_loop.py): an outcome, then a note.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "extract": (),
    "start": (),
    "appoint": ("appointment_at",),
    "arrive": (),
    "respond": ("reason",),
    "transfer": ("team", "reason"),
    "pause": ("reason",),
    "hold": ("reason",),
    "resume": (),
    "resolve": ("resolution_code", "resolution"),
    "close": (),
    "reopen": ("reason",),
    "cancel": ("reason",),
    "reject": ("reason",),
}
REASON_REQUIRED = frozenset({"pause", "hold"})  # the service refuses these without a reason
DANGEROUS = frozenset({"cancel", "reject"})  # asked twice (data-confirm) and shown as danger buttons
# Buttons in the order work usually goes, the ones that end an order last.
ACTION_ORDER = [a for a in lifecycle.ALL_ACTIONS if a not in DANGEROUS] + sorted(DANGEROUS)

EVENT_LABELS = {
    "created": "Order created",
    "assigned": "Assigned",
    "note": "Note",
    "attachment": "Attachment added",
    "updated": "Details changed",
    "related": "Linked to another order",
    "deleted": "Deleted",
    "placed": "Region set",
    "sla_warning": "SLA warning",
    "sla_breach": "SLA breached",
    "sla_escalation": "SLA escalated",
    "sla_reopened": "SLA clock restarted",
    "sla_recomputed": "SLA deadline recomputed",
    "sla.warning": "Warning sent",
    "sla.breach": "Breach notice sent",
    "sla.escalation": "Escalation sent",
}
FIELD_LABELS = {
    "status": "Status",
    "stage": "Stage",
    "team_id": "Team",
    "assignee_id": "Assignee",
    "resolution_code": "Resolution code",
    "appointment_at": "Appointment",
    "contact_attempts": "Contact attempts",
    "reopen_count": "Times reopened",
    "title": "Title",
    "description": "Description",
    "priority": "Priority",
    "severity": "Severity",
    "deleted_at": "Deleted",
    "related": "Related order",
    "due_at": "Due",
    "contact_outcome": "Contact outcome",
    "callback_result": "Callback result",
    "region_code": "Region",
    "region_pending": "Awaiting region",
}


def load_order(p: Page, number: str) -> WorkOrder:
    """The live order with this number, or NotFound when missing or outside the caller's regions."""
    order = visible_order(p.session, p.viewer(), number=number)
    if order is None:
        raise NotFound(p.gettext("No such record, or it is outside your regions."))
    return order


def _when(value: Any) -> str:
    try:
        return local(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


@dataclass(slots=True)
class Row:
    """One timeline line, ready to print."""

    kind: str
    when: str
    what: str
    who: str
    changes: list[tuple[str, str, str]]
    note: str


class Describe:
    """Turns stored codes and ids into what staff read, in the page's language."""

    def __init__(self, p: Page) -> None:
        self.p = p
        self.users = user_index(p.session)
        self._seen: dict[tuple[str, str], str] = {}  # 200 events repeat the same few codes

    def _t(self, kind: str, code: Any) -> str:
        key = (kind, str(code))
        if key not in self._seen:
            message = LABELS.get(kind, {}).get(key[1])
            self._seen[key] = self.p.gettext(message) if message else key[1]
        return self._seen[key]

    def user(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        info = self.users.get(user_id)
        return info.display_name if info else f"#{user_id}"

    def team(self, team_id: int | None) -> str:
        return (team_name(self.p.session, team_id) or f"#{team_id}") if team_id else ""

    def action(self, action: str) -> str:
        if action in LABELS["action"]:
            return self._t("action", action)
        return self._text(EVENT_LABELS.get(action)) or action

    def field(self, name: str) -> str:
        return self._text(FIELD_LABELS.get(name)) or name

    def _text(self, message: str | None) -> str:
        if message is None:
            return ""
        key = ("", message)
        if key not in self._seen:
            self._seen[key] = self.p.gettext(message)
        return self._seen[key]

    def timeline(self, entries: list[Entry]) -> list[Row]:
        """The timeline as display strings, formatted once here rather than by template calls."""
        rows = []
        system, nobody = self.p.gettext("System"), self.p.gettext("nobody (no recipient found)")
        sent, waiting = self.p.gettext("sent"), self.p.gettext("waiting to be sent")
        for e in entries:
            if e.kind == "notification":
                clock = self._t("clock", e.payload.get("clock"))
                step = e.payload.get("step")
                detail = " · ".join(x for x in (clock, step, sent if e.sent else waiting) if x)
                who = "→ " + (self.user(e.recipient_id) or nobody)
                rows.append(Row(e.kind, local(e.at), self.action(e.action), who, [], detail))
                continue
            changes = [
                (
                    self.field(ch.get("field", "")),
                    self.value(ch.get("field", ""), ch.get("before")),
                    self.value(ch.get("field", ""), ch.get("after")),
                )
                for ch in e.changes
            ]
            note = self.sla_note(e.note) if e.action.startswith("sla_") else (e.note or "")
            rows.append(
                Row(
                    e.kind, local(e.at), self.action(e.action), self.user(e.actor_id) or system, changes, note
                )
            )
        return rows

    def value(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if name in ("status", "stage", "severity"):
            return self._t(name, value)
        if name == "priority":
            return self._t("priority", value)
        if name == "resolution_code":
            return self._t("resolution", value)
        if name in ("contact_outcome", "callback_result"):
            return self._t(name, value)
        if name == "team_id":
            return self.team(value)
        if name in ("assignee_id", "owner_id"):
            return self.user(value)
        if name in ("appointment_at", "deleted_at", "due_at"):
            return _when(value)
        if name == "region_code":
            region = region_index(self.p.session).get(value)
            return region.name if region else str(value)
        if isinstance(value, bool):
            return self._text("Yes" if value else "No")
        return str(value)

    def sla_note(self, note: str | None) -> str:
        """SLA events keep their detail as a dict's text; show the clock and its due time."""
        if note in LABELS["clock"]:  # sla_reopened names just the clock
            return self._t("clock", note)
        try:
            detail = ast.literal_eval(note or "")
        except (ValueError, SyntaxError):
            return note or ""
        if not isinstance(detail, dict):
            return note or ""
        clock = self._t("clock", detail.get("clock"))
        if "change" in detail:  # sla_recomputed: the due instant is in the changes, the cause here
            return f"{clock} · {self.recompute_cause(detail)}"
        due = self.p.gettext("due")
        return f"{clock} · {due} {_when(detail.get('due_at'))}"

    def recompute_cause(self, detail: dict[str, Any]) -> str:
        """Why a recompute moved a deadline (manyi.sla.recompute), in the page's language."""
        values = {key: str(detail.get(key, "")) for key in ("calendar", "date", "year", "policy")}
        change = detail.get("change")
        if change == "override":
            text = self.p.gettext("calendar %(calendar)s: special date %(date)s set")
        elif change == "override_replaced":
            text = self.p.gettext("calendar %(calendar)s: special date %(date)s replaced")
        elif change == "override_removed":
            text = self.p.gettext("calendar %(calendar)s: special date %(date)s removed")
        elif change == "schedule":
            text = self.p.gettext("national holiday schedule for %(year)s loaded")
        elif change == "policy":
            text = self.p.gettext("SLA policy %(policy)s changed")
        else:
            return str(change)
        return text % values


def _offered(p: Page, order: WorkOrder, action: str) -> bool:
    """Whether the page offers a legal action as a button: not one the closed loop would refuse
    the user anyway (a plain close of a complaint, withdrawing a complaint without the right)."""
    if action not in ACTION_FIELDS:
        return False
    if action == "close" and closed_loop.needs_callback(order.type):
        return False
    return not closed_loop.withdrawal_checked(order.type, action) or p.can("complaint:withdraw")


def order_context(p: Page, order: WorkOrder, *, values: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything order.html needs: a handful of indexed queries, names from the cached indexes."""
    at = now()
    overview = order_overview(p.session, order=order, at=at, viewer=p.viewer())
    timeline = order_timeline(p.session, order_id=order.id)
    can_update = p.can("ticket:update")
    legal = lifecycle.next_actions(order.type, order.status, order.stage) if can_update else []
    actions = sorted((a for a in legal if _offered(p, order, a)), key=ACTION_ORDER.index)
    log = loop_log(p.session, order=order)
    calls_back = "callback_ok" in legal and may_call_back(
        p.session, order=order, actor_id=p.principal.user_id
    )
    # Reaching the customer while the order is worked; once resolved, the callback's failed attempts.
    if order.status == "resolved":
        contact_outcomes = sorted(closed_loop.FAILED_OUTCOMES) if calls_back else []
    else:
        contact_outcomes = list(closed_loop.CONTACT_OUTCOMES) if "contact" in legal else []
    pii = p.can("pii:read")
    describe = Describe(p)
    customer = overview.customer
    subscription = overview.subscription
    category = category_by_id(p.session, order.category_id) if order.category_id else None
    region = region_index(p.session).get(order.region_code)
    return {
        "order": order,
        "at": at,
        "overview": overview,
        "timeline": timeline,
        "rows": describe.timeline(timeline.entries),
        "describe": describe,
        "category": category.name if category else "",
        "region_name": region.name if region else order.region_code,
        "customer_phone": (customer.phone if pii else mask_phone(customer.phone)) if customer else "",
        "service_number": (
            (
                subscription.service_number
                if pii
                else mask_service_number(subscription.service_number, subscription.product)
            )
            if subscription
            else ""
        ),
        "can_update": can_update,
        "actions": actions,
        "action_fields": ACTION_FIELDS,
        "reason_required": REASON_REQUIRED
        | {a for a in closed_loop.WITHDRAW_ACTIONS if closed_loop.withdrawal_checked(order.type, a)},
        "loop_log": log,
        "contact_outcomes": contact_outcomes,
        "callback_results": closed_loop.CALLBACK_RESULTS if calls_back else (),
        "dangerous": DANGEROUS,
        "resolution_codes": RESOLUTION_CODES,
        # Only teams that can see the order: the service refuses the others (orders.transfers).
        "teams": transfer_targets(p.session, region_code=order.region_code) if "transfer" in actions else [],
        "members": (
            team_members(p.session, team_id=order.team_id)
            if can_update and order.status not in lifecycle.TERMINAL
            else []
        ),
        "values": values or {},
    }


def render_order(
    p: Page,
    order: WorkOrder,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    problem: str | None = None,
    problem_form: str | None = None,
) -> HTMLResponse:
    """The order page; after a refused form, with its message (problem) and the typed values."""
    return p.render(
        "orders/order.html",
        status_code=status_code,
        errors=errors or {},
        problem=problem,
        problem_form=problem_form,
        **order_context(p, order, values=values),
    )
