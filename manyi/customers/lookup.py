"""Caller lookup for the agent workbench: one query string matched against the keys a caller gives
(phone, service number, customer number, name), inside the staff member's regions."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from manyi.core.masking import check_search
from manyi.customers.models import Customer, Subscription

LIMIT = 20
_DIGITS = re.compile(r"^\+?[\d\s-]+$")


@dataclass(frozen=True)
class LookupHit:
    customer: Customer
    matched_by: str  # phone | service_number | customer_no | name


def normalise(query: str) -> str:
    """Fold what agents paste: spaces, dashes and a +86 prefix around a number."""
    text = query.strip()
    if _DIGITS.match(text):
        text = re.sub(r"[\s-]", "", text)
        if text.startswith("+86"):
            text = text[3:]
    return text


def lookup_callers(
    session: Session,
    *,
    query: str,
    scope: Collection[str] | None,
    pii: bool = True,
    limit: int = LIMIT,
) -> list[LookupHit]:
    """Customers matching the query, most exact key first: phone, service number, customer number,
    then name (exact, then prefix). scope: region codes the caller may see (None: all).

    pii=False (a role without pii:read) may not turn a phone or ID number into a name either (the
    TMF629 list refuses that filter for the same reason): a full phone or ID number is refused
    (PiiSearchRefused), and mobile lines, whose service numbers are phone numbers, are not keys."""
    text = normalise(query)
    if not text:
        return []
    check_search(text, pii=pii)
    keyed: list[tuple[str, Select[Customer]]] = []
    if pii:
        keyed.append(("phone", select(Customer).where(Customer.phone == text)))
    service = select(Subscription.customer_id).where(Subscription.service_number.in_({text, text.upper()}))
    if not pii:
        service = service.where(Subscription.product != "mobile")
    keyed.append(("service_number", select(Customer).where(Customer.id.in_(service))))
    keyed.append(("customer_no", select(Customer).where(Customer.customer_no.in_({text, text.upper()}))))
    keyed.append(("name", select(Customer).where(Customer.name == text)))
    # A prefix LIKE on an indexed column: served by ix_customers_name (on PostgreSQL, with a
    # text_pattern_ops or C-collation index); names with wildcards are escaped, not patterns.
    keyed.append(("name", select(Customer).where(Customer.name.startswith(text, autoescape=True))))

    hits: list[LookupHit] = []
    seen: set[int] = set()
    for matched_by, statement in keyed:
        statement = statement.where(Customer.erased_at.is_(None))  # erased on request: not a caller to find
        if scope is not None:
            statement = statement.where(Customer.region_code.in_(sorted(scope)))
        rows = session.scalars(statement.order_by(Customer.id).limit(limit))
        for customer in rows:
            if customer.id not in seen:
                seen.add(customer.id)
                hits.append(LookupHit(customer, matched_by))
        if len(hits) >= limit:
            break
    return hits[:limit]


def customer_names(session: Session, customer_ids: Collection[int | None]) -> dict[int, str]:
    """Names of the customers of a page of orders, in one query."""
    ids = sorted({i for i in customer_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return {customer_id: name for customer_id, name in rows}
