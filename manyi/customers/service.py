"""Customers: create, update, find. Flush, never commit."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi.core.clock import ensure_aware, now
from manyi.core.crypto import encrypt, keyed_hash
from manyi.core.db import is_postgres
from manyi.core.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from manyi.core.sequences import advance_sequence, define_sequence, next_value
from manyi.customers.models import BRANDS, Customer
from manyi.org.reference import region_index

CUSTOMER_NUMBERS = define_sequence("customer_number_seq")
LIST_FLAGS = ("red", "blue")  # 红名单 (protect) / 蓝名单 (watch)
PHONE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
# The numbers the sequence makes (C000000123); a number of this form written any other way advances it.
SEQUENCE_NUMBER = re.compile(r"^C(\d{9,18})$")

# (session, event type, customer) -> None: the event hub registers one (manyi.hub.wiring).
CustomerHook = Callable[[Session, str, Customer], None]
HOOKS: list[CustomerHook] = []


def _notify(session: Session, event_type: str, customer: Customer) -> None:
    for hook in HOOKS:
        hook(session, event_type, customer)


def _check(field: str, value: Any, *, session: Session) -> Any:
    if field == "name":
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise ValidationFailed("name: expected 1-64 characters", field="name")
        return value.strip()
    if field == "phone":
        if value is not None and not PHONE.match(str(value)):
            raise ValidationFailed(
                f"phoneNumber: expected an 11-digit mobile number, got {value!r}", field="phoneNumber"
            )
        return value
    if field == "brand":
        if value not in BRANDS:
            raise ValidationFailed(
                f"brand: expected one of {', '.join(BRANDS)}, got {value!r}", field="brand"
            )
        return value
    if field == "vip_level":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
            raise ValidationFailed(
                f"vipLevel: expected 0 (none) to 3 (diamond), got {value!r}", field="vipLevel"
            )
        return value
    if field == "list_flag":
        if value is not None and value not in LIST_FLAGS:
            raise ValidationFailed(f"listFlag: expected red, blue or null, got {value!r}", field="listFlag")
        return value
    if field == "region_code":
        if value not in region_index(session):
            raise ValidationFailed(f"region: unknown region {value!r}", field="region")
        return value
    raise ValidationFailed(f"{field}: cannot be set", field=field)


def create_customer(
    session: Session,
    *,
    name: str,
    brand: str,
    region_code: str,
    phone: str | None = None,
    id_number: str | None = None,
    vip_level: int = 0,
    list_flag: str | None = None,
    customer_no: str | None = None,
    at: datetime | None = None,
) -> Customer:
    """Register a customer; the ID number is stored encrypted with a keyed hash for matching."""
    at = ensure_aware(at or now(), field="at")
    values = {
        "name": _check("name", name, session=session),
        "brand": _check("brand", brand, session=session),
        "region_code": _check("region_code", region_code, session=session),
        "phone": _check("phone", phone, session=session),
        "vip_level": _check("vip_level", vip_level, session=session),
        "list_flag": _check("list_flag", list_flag, session=session),
    }
    if id_number is not None and not ID_NUMBER.match(id_number):
        raise ValidationFailed("idNumber: expected an 18-character resident ID number", field="idNumber")
    if customer_no is not None:
        if not customer_no.strip() or len(customer_no) > 32:
            raise ValidationFailed("engagedParty.id: expected 1-32 characters", field="engagedParty.id")
        if session.scalars(select(Customer).where(Customer.customer_no == customer_no)).first():
            raise ValidationFailed(
                f"engagedParty.id: customer {customer_no} already exists", field="engagedParty.id"
            )
        if numbered := SEQUENCE_NUMBER.match(customer_no):
            advance_sequence(session, CUSTOMER_NUMBERS, int(numbered.group(1)))
    values |= {
        "id_number_encrypted": encrypt(id_number.upper()) if id_number else None,
        "id_number_hash": keyed_hash(id_number.upper()) if id_number else None,
        "created_at": at,
    }
    customer = _insert(session, values, customer_no)
    _notify(session, "CustomerCreateEvent", customer)
    return customer


def _taken(session: Session, number: str) -> bool:
    return session.scalar(select(Customer.id).where(Customer.customer_no == number)) is not None


_HIGHEST_SQL = {
    "postgresql": "SELECT max(substr(customer_no, 2)::bigint) FROM customers WHERE customer_no ~ '^C[0-9]{1,18}$'",
    "sqlite": "SELECT max(CAST(substr(customer_no, 2) AS INTEGER)) FROM customers WHERE customer_no GLOB 'C[0-9]*' "
    "AND substr(customer_no, 2) NOT GLOB '*[^0-9]*' AND length(customer_no) <= 19",
}


def _free_number(session: Session) -> str:
    """The next customer number of the sequence that no customer has.

    Concurrent creators never meet: the sequence hands each its own value (on PostgreSQL outside any
    transaction). A number already taken was written outside the sequence (rows copied in by an
    older tool, a restore): the sequence is moved past the highest number taken, once, with one scan,
    instead of failing every creation until it has counted past them by hand.
    """
    for _ in range(3):
        number = f"C{next_value(session, CUSTOMER_NUMBERS):09d}"
        if not _taken(session, number):
            return number
        dialect = "postgresql" if is_postgres(session) else "sqlite"
        highest = session.scalar(text(_HIGHEST_SQL[dialect]))
        advance_sequence(session, CUSTOMER_NUMBERS, int(highest or 0))
    raise Conflict("engagedParty.id: no free customer number was found; try again")


def _insert(session: Session, values: dict[str, Any], customer_no: str | None) -> Customer:
    """Insert the customer, numbered from the sequence unless the caller gave a number.

    A generated number can still meet a row another transaction is inserting right then: the
    sequence's move past numbers written outside it (setval) is not atomic with what concurrent
    creators draw meanwhile. That insert is undone to a savepoint and the next number taken.
    """
    if customer_no is not None:
        customer = Customer(**values, customer_no=customer_no)
        session.add(customer)
        session.flush()
        return customer
    attempts = 3
    while True:
        attempts -= 1
        customer = Customer(**values, customer_no=_free_number(session))
        try:
            with session.begin_nested():
                session.add(customer)
        except IntegrityError:
            if attempts == 0:
                raise
            continue
        return customer


def get_customer(session: Session, *, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return customer


def update_customer(
    session: Session, *, customer_id: int, changes: dict[str, Any], expected_version: int | None = None
) -> Customer:
    """Change name, phone, brand, VIP level, list flag or region; other fields are refused."""
    customer = get_customer(session, customer_id=customer_id)
    if expected_version is not None and expected_version != customer.version:
        raise StaleVersion(f"customer {customer_id} was changed by someone else")
    checked = {field: _check(field, value, session=session) for field, value in changes.items()}
    changed = {k: v for k, v in checked.items() if getattr(customer, k) != v}
    for key, value in changed.items():
        setattr(customer, key, value)
    if changed:
        session.flush()
        _notify(session, "CustomerAttributeValueChangeEvent", customer)
    return customer
