"""What the workbench pages share: rights, the visible customer, masked phones, display names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from manyi.categories.tree import category_by_id
from manyi.console.deps import Page
from manyi.console.navigation import ENTRIES
from manyi.core.errors import PermissionDenied
from manyi.core.masking import mask_phone, mask_service_number
from manyi.customers.models import Customer, Subscription
from manyi.customers.service import get_customer

WORKBENCH = next(e for e in ENTRIES if e.url == "/workbench")


def require_workbench(p: Page) -> None:
    """The front-line roles of the menu's workbench entry (the menu and the page agree), who may
    read customers too."""
    p.require(WORKBENCH.permission)
    p.require("customer:read")
    if WORKBENCH.roles is not None and not p.has_role(*WORKBENCH.roles):
        raise PermissionDenied(p.gettext("Your role does not allow this page or action."))


def customer_labels(p: Page) -> dict[str, Any]:
    """Display names of a customer's VIP level, list flag and product status."""
    return {
        "vip": {
            0: p.gettext("Regular"),
            1: p.gettext("Silver"),
            2: p.gettext("Gold"),
            3: p.gettext("Diamond"),
        },
        "list_flag": {
            "red": p.gettext("Red list (sensitive customer)"),
            "blue": p.gettext("Blue list (repeated complaints)"),
        },
        "subscription_status": {
            "active": p.gettext("In service"),
            "suspended": p.gettext("Suspended"),
            "cancelled": p.gettext("Cancelled"),
        },
    }


def phone_shown(p: Page, phone: str | None) -> str:
    """The phone number in full for roles with the PII permission, masked for everyone else."""
    return (phone if p.can("pii:read") else mask_phone(phone)) or ""


def service_number_shown(p: Page, subscription: Subscription) -> str:
    """A subscription's service number: a mobile line's (a phone number) masked without the PII
    permission, broadband and IPTV accounts in full."""
    number = subscription.service_number
    return (number if p.can("pii:read") else mask_service_number(number, subscription.product)) or ""


def pii_search_refused(p: Page) -> str:
    """What a role without the PII permission is told when it searches by a full phone or ID number."""
    return p.gettext(
        "Your role may not search by a full phone or ID number. Search by name, customer number or "
        "broadband account instead."
    )


def category_name(p: Page, category_id: int | None) -> str:
    info = category_by_id(p.session, category_id) if category_id else None
    return info.name if info else ""


def visible_customer(p: Page, customer_id: int) -> Customer:
    """The customer, if it is in the staff member's regions; otherwise it looks missing (404)."""
    customer = get_customer(p.session, customer_id=customer_id)
    p.check_region(customer.region_code)
    return customer


def customer_subscriptions(p: Page, customer_id: int) -> list[Subscription]:
    return list(
        p.session.scalars(
            select(Subscription).where(Subscription.customer_id == customer_id).order_by(Subscription.id)
        )
    )


def common_context(p: Page) -> dict[str, Any]:
    """Helpers every workbench template uses."""
    return {
        "phone": lambda value: phone_shown(p, value),
        "service_number": lambda subscription: service_number_shown(p, subscription),
        "labels": customer_labels(p),
        "category_name": lambda cid: category_name(p, cid),
    }
