"""The new-order form of the workbench: pick type, category, channel, priority, severity and product,
preview the SLA deadlines without saving, then save through create_order (the agent owns the order)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from manyi.console.deps import Page, page, query_int
from manyi.console.regions import region_names
from manyi.console.workbench.queries import category_options
from manyi.console.workbench.view import (
    common_context,
    customer_subscriptions,
    require_workbench,
    visible_customer,
)
from manyi.core.clock import now
from manyi.core.errors import ManyiError, NotFound
from manyi.customers.models import Customer
from manyi.orders.lifecycle import ORDER_TYPES
from manyi.orders.service import CHANNELS, SEVERITIES, create_order
from manyi.org.reference import region_index, team_name
from manyi.sla.preview import DeadlinePreview, preview_deadlines

router = APIRouter(include_in_schema=False)

FIELDS = (
    "type",
    "category",
    "channel",
    "priority",
    "severity",
    "subscription",
    "region",
    "title",
    "description",
)
PRIORITIES = ("1", "2", "3", "4")
DEFAULTS = {"channel": "hotline", "priority": "3", "severity": "minor"}


def _messages(p: Page) -> dict[str, str]:
    """The error shown next to each field, in the user's language (domain errors map onto these)."""
    return {
        "type": p.gettext("Choose the order type."),
        "category": p.gettext("Choose a category from the list."),
        "channel": p.gettext("Choose the channel the customer used."),
        "priority": p.gettext("Choose a priority from 1 (urgent) to 4 (low)."),
        "severity": p.gettext("Choose a severity."),
        "subscription": p.gettext("Choose one of this customer's products."),
        "region": p.gettext("Choose a region from the list, within your regions."),
        "title": p.gettext("Keep the title under 200 characters."),
        "description": p.gettext("Describe the customer's request."),
        "form": p.gettext("The order could not be created; check the fields and try again."),
    }


def _customer(p: Page, customer_id: str | int | None) -> Customer:
    require_workbench(p)
    p.require("ticket:create")
    wanted = query_int(str(customer_id)) if customer_id not in (None, "") else None
    if wanted is None:
        raise NotFound(p.gettext("Look up the caller first: a new order belongs to a customer."))
    return visible_customer(p, wanted)


def _check(p: Page, form: dict[str, str], subscription_ids: set[int], *, saving: bool) -> dict[str, str]:
    """Form-level checks, so each problem is named next to its field before anything is computed."""
    messages, errors = _messages(p), {}
    categories = {c.code for c in category_options(p.session)}
    if form["type"] not in ORDER_TYPES:
        errors["type"] = messages["type"]
    if form["category"] and form["category"] not in categories:
        errors["category"] = messages["category"]
    if form["channel"] not in CHANNELS:
        errors["channel"] = messages["channel"]
    if form["priority"] not in PRIORITIES:
        errors["priority"] = messages["priority"]
    if form["severity"] not in SEVERITIES:
        errors["severity"] = messages["severity"]
    if form["subscription"] and (query_int(form["subscription"]) not in subscription_ids):
        errors["subscription"] = messages["subscription"]
    if not form["region"] or form["region"] not in region_index(p.session) or not p.in_scope(form["region"]):
        errors["region"] = messages["region"]
    if len(form["title"]) > 200:
        errors["title"] = messages["title"]
    if saving and not form["description"].strip():
        errors["description"] = messages["description"]
    return errors


def _field_of(error: ManyiError) -> str:
    field = {"name": "title", "region_code": "region", "customer": "form"}.get(error.field or "", error.field)
    return field if field in FIELDS else "form"


def _render(
    p: Page,
    customer: Customer,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    preview: DeadlinePreview | None = None,
    status_code: int = 200,
) -> Response:
    return p.render(
        "workbench/new.html",
        status_code=status_code,
        customer=customer,
        form=form,
        errors=errors or {},
        preview=preview,
        preview_team=team_name(p.session, preview.team_id) if preview else None,
        subscriptions=customer_subscriptions(p, customer.id),
        categories=category_options(p.session),
        order_types=ORDER_TYPES,
        channels=CHANNELS,
        priorities=PRIORITIES,
        severities=SEVERITIES,
        region_names=lambda codes: region_names(p, codes),
        **common_context(p),
    )


@router.get("/workbench/new")
def new_order_form(p: Annotated[Page, Depends(page)], customer: str = "") -> Response:
    chosen = _customer(p, customer)
    subscriptions = customer_subscriptions(p, chosen.id)
    form = {name: "" for name in FIELDS} | DEFAULTS
    form["customer"] = str(chosen.id)
    form["region"] = chosen.region_code or ""  # where the work is: the customer's district by default
    form["idempotency_key"] = uuid.uuid4().hex  # a double-clicked Save makes one order, not two
    if len(subscriptions) == 1:  # most callers have one product: pre-select it
        form["subscription"] = str(subscriptions[0].id)
    return _render(p, chosen, form)


@router.post("/workbench/new")
def new_order_submit(
    p: Annotated[Page, Depends(page)],
    customer: Annotated[str, Form()] = "",
    intent: Annotated[str, Form()] = "preview",
    idempotency_key: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    subscription: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    chosen = _customer(p, customer)
    form: dict[str, Any] = {
        "customer": str(chosen.id),
        "idempotency_key": idempotency_key[:100] or uuid.uuid4().hex,
        "type": type,
        "category": category,
        "channel": channel,
        "priority": priority,
        "severity": severity,
        "subscription": subscription,
        # A form from before the field existed (or without it) means the customer's district.
        "region": region.strip() or chosen.region_code or "",
        "title": title.strip(),
        "description": description,
    }
    saving = intent == "save"
    subscription_ids = {s.id for s in customer_subscriptions(p, chosen.id)}
    errors = _check(p, form, subscription_ids, saving=saving)
    if errors:
        return _render(p, chosen, form, errors=errors, status_code=422)
    values: dict[str, Any] = {
        "type": type,
        "channel": channel,
        "region_code": form["region"],
        "priority": int(priority),
        "category_code": category or None,
        "customer_id": chosen.id,
        "subscription_id": int(subscription) if subscription else None,
    }
    if not saving:
        try:
            preview = preview_deadlines(p.session, at=now(), **values)
        except ManyiError as error:
            p.session.rollback()
            field = _field_of(error)
            return _render(
                p, chosen, form, errors={field: p.too_long(error) or _messages(p)[field]}, status_code=422
            )
        return _render(p, chosen, form, preview=preview)
    try:
        order = create_order(
            p.session,
            **values,
            severity=severity,
            title=form["title"] or None,
            description=description,
            actor_id=p.principal.user_id,  # 首问责任制: the agent taking the call owns the order
            idempotency_key=f"console:{p.principal.user_id}:{form['idempotency_key']}",
        )
    except ManyiError as error:
        p.session.rollback()
        field = _field_of(error)
        return _render(
            p, chosen, form, errors={field: p.too_long(error) or _messages(p)[field]}, status_code=422
        )
    return p.redirect(
        f"/orders/{order.number}",
        flash=p.gettext("Order %(number)s created.") % {"number": order.number},
    )
