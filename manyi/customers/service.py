"""Customers: create, update, find. Flush, never commit."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from manyi.auth.actors import actor_permissions
from manyi.core.clock import ensure_aware, now
from manyi.core.crypto import encrypt, keyed_hash
from manyi.core.db import is_postgres
from manyi.core.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from manyi.core.sequences import advance_sequence, define_sequence, next_value
from manyi.customers.contacts import ContactIn, replace_contacts
from manyi.customers.history import record_customer_event
from manyi.customers.models import BRANDS, KINDS, PARTY_ID_LENGTH, Customer
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


def check_rights(
    session: Session, *, actor_id: int | None, fields: set[str], reason: str | None
) -> str | None:
    """Who may change what: the red/blue list flag only a named member of staff with customer:flag,
    giving a reason (000: red-list data edits are audited; 001: the blue list is kept by the
    complaint experts); other fields customer:write. Calls without an actor are the system's own
    (imports, synchronisation) and may change anything but the flag. Return the reason, trimmed."""
    reason = reason.strip() if reason and reason.strip() else None
    granted = actor_permissions(session, actor_id)
    if "list_flag" in fields:
        if "customer:flag" not in granted:
            raise PermissionDenied(
                "listFlag: setting or clearing the red/blue list needs the customer:flag permission "
                "(supervisors, complaint handlers)",
                field="listFlag",
            )
        if reason is None:
            raise ValidationFailed(
                "listFlagReason: a red/blue list change needs its reason", field="listFlagReason"
            )
    others = sorted(fields - {"list_flag"})
    if others and actor_id is not None and "customer:write" not in granted:
        raise PermissionDenied(f"changing {', '.join(others)} needs the customer:write permission")
    if reason is not None and len(reason) > 500:
        raise ValidationFailed("listFlagReason: expected at most 500 characters", field="listFlagReason")
    return reason


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
    kind: str = "individual",
    contacts: list[ContactIn] | None = None,
    actor_id: int | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> Customer:
    """Register a customer (a person, or an organization with its contact persons); the ID number is
    stored encrypted with a keyed hash for matching. The customer's history starts with a `created`
    event (a flag set at creation needs its reason)."""
    at = ensure_aware(at or now(), field="at")
    if kind not in KINDS:
        raise ValidationFailed(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}", field="kind")
    if kind == "organization" and id_number is not None:
        raise ValidationFailed(
            "idNumber: a resident ID number belongs to a person, not an organization", field="idNumber"
        )
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
        if not customer_no.strip() or len(customer_no) > PARTY_ID_LENGTH:
            raise ValidationFailed(
                f"engagedParty.id: expected 1-{PARTY_ID_LENGTH} characters", field="engagedParty.id"
            )
        if session.scalars(select(Customer).where(Customer.customer_no == customer_no)).first():
            raise ValidationFailed(
                f"engagedParty.id: customer {customer_no} already exists", field="engagedParty.id"
            )
        if numbered := SEQUENCE_NUMBER.match(customer_no):
            advance_sequence(session, CUSTOMER_NUMBERS, int(numbered.group(1)))
    note = check_rights(
        session, actor_id=actor_id, fields={"list_flag"} if values["list_flag"] else set(), reason=reason
    )
    customer = _insert(
        session,
        values
        | {
            "id_number_encrypted": encrypt(id_number.upper()) if id_number else None,
            "id_number_hash": keyed_hash(id_number.upper()) if id_number else None,
            "kind": kind,
            "created_at": at,
        },
        customer_no,
    )
    given = {
        "customer_no": customer.customer_no,
        **values,
        "id_number": id_number.upper() if id_number else None,
    }
    record_customer_event(
        session,
        customer_id=customer.id,
        action="created",
        at=at,
        actor_id=actor_id,
        changes={field: (None, value) for field, value in given.items() if value not in (None, 0)},
        note=note,
    )
    if contacts:
        replace_contacts(session, customer=customer, contacts=contacts)
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
    session: Session,
    *,
    customer_id: int,
    changes: dict[str, Any],
    actor_id: int | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Customer:
    """Change name, phone, brand, VIP level, list flag, region or contacts (a list of ContactIn);
    other fields are refused. Each change is an event in the customer's history (check_rights says
    who may change what)."""
    at = ensure_aware(at or now(), field="at")
    customer = get_customer(session, customer_id=customer_id)
    if expected_version is not None and expected_version != customer.version:
        raise StaleVersion(f"customer {customer_id} was changed by someone else")
    changes = dict(changes)
    contacts = changes.pop("contacts", None)
    checked = {field: _check(field, value, session=session) for field, value in changes.items()}
    changed = {k: v for k, v in checked.items() if getattr(customer, k) != v}
    asked = set(changed) | ({"contacts"} if contacts is not None else set())
    note = check_rights(session, actor_id=actor_id, fields=asked, reason=reason)
    if changed:
        record_customer_event(
            session,
            customer_id=customer.id,
            action="updated",
            at=at,
            actor_id=actor_id,
            changes={k: (getattr(customer, k), v) for k, v in changed.items()},
            note=note,
        )
        for key, value in changed.items():
            setattr(customer, key, value)
    if contacts is not None and replace_contacts(session, customer=customer, contacts=contacts):
        # The persons themselves are in customer_contacts; the history says the list was replaced.
        record_customer_event(
            session,
            customer_id=customer.id,
            action="updated",
            at=at,
            actor_id=actor_id,
            changes={"contacts": (None, f"{len(contacts)} contact person(s)")},
            note=note,
        )
        changed["contacts"] = True
        flag_modified(customer, "name")  # contacts are rows of their own: bump the customer's version
    if changed:
        session.flush()
        _notify(session, "CustomerAttributeValueChangeEvent", customer)
    return customer
