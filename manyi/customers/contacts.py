"""Contact persons of organization customers (政企/集团客户): who at the company to call. Flush only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.customers.models import PARTY_ID_LENGTH, Customer, CustomerContact

MAX_CONTACTS = 20
# Mobile or landline (0571-87654321, +86 …): companies give their desk numbers.
CONTACT_PHONE = re.compile(r"^\+?[\d][\d\s-]{4,19}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ContactIn:
    """A contact person as a client sends it; party_id is the client's id for the person, if any."""

    name: str
    party_id: str | None = None
    title: str | None = None
    phone: str | None = None
    email: str | None = None


def _checked(index: int, contact: ContactIn) -> ContactIn:
    where = f"relatedParty[{index}]"
    name = contact.name.strip() if isinstance(contact.name, str) else ""
    if not name or len(name) > 64:
        raise ValidationFailed(f"{where}.name: expected 1-64 characters", field="relatedParty")
    party_id = contact.party_id
    if party_id is not None and (not party_id.strip() or len(party_id) > PARTY_ID_LENGTH):
        raise ValidationFailed(f"{where}.id: expected 1-{PARTY_ID_LENGTH} characters", field="relatedParty")
    if contact.title is not None and len(contact.title) > 64:
        raise ValidationFailed(f"{where}.title: expected at most 64 characters", field="relatedParty")
    if contact.phone is not None and not CONTACT_PHONE.match(contact.phone):
        raise ValidationFailed(
            f"{where}.phoneNumber: expected a mobile or landline number, got {contact.phone!r}",
            field="relatedParty",
        )
    if contact.email is not None and (len(contact.email) > 128 or not EMAIL.match(contact.email)):
        raise ValidationFailed(
            f"{where}.emailAddress: expected an email address, got {contact.email!r}", field="relatedParty"
        )
    return ContactIn(name, party_id or str(uuid.uuid4()), contact.title, contact.phone, contact.email)


def replace_contacts(session: Session, *, customer: Customer, contacts: list[ContactIn]) -> bool:
    """Make the customer's contacts exactly these (a merge patch replaces a list); True if changed."""
    if contacts and customer.kind != "organization":
        raise ValidationFailed(
            "relatedParty: contact persons belong to Organization customers "
            '(engagedParty "@referredType": "Organization")',
            field="relatedParty",
        )
    if len(contacts) > MAX_CONTACTS:
        raise ValidationFailed(f"relatedParty: at most {MAX_CONTACTS} contact persons", field="relatedParty")
    checked = [_checked(i, c) for i, c in enumerate(contacts)]
    ids = [c.party_id for c in checked]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("relatedParty: two contact persons have the same id", field="relatedParty")
    current = contacts_of(session, [customer.id]).get(customer.id, [])
    as_stored = [ContactIn(c.name, c.party_id, c.title, c.phone, c.email) for c in current]
    # Ids a client left out are new on every call: compare the rest so a resent list is no change.
    unchanged = len(as_stored) == len(checked) and all(
        (old.name, old.title, old.phone, old.email) == (new.name, new.title, new.phone, new.email)
        and (old.party_id == new.party_id or contacts[i].party_id is None)
        for i, (old, new) in enumerate(zip(as_stored, checked, strict=True))
    )
    if unchanged:
        return False
    session.execute(delete(CustomerContact).where(CustomerContact.customer_id == customer.id))
    session.add_all(
        CustomerContact(
            customer_id=customer.id,
            party_id=c.party_id,
            name=c.name,
            title=c.title,
            phone=c.phone,
            email=c.email,
        )
        for c in checked
    )
    session.flush()
    return True


def contacts_of(session: Session, customer_ids: Collection[int]) -> dict[int, list[CustomerContact]]:
    """The contact persons of these customers, in the order they were given (one query)."""
    found: dict[int, list[CustomerContact]] = {}
    if customer_ids:
        rows = session.scalars(
            select(CustomerContact)
            .where(CustomerContact.customer_id.in_(sorted(customer_ids)))
            .order_by(CustomerContact.id)
        )
        for contact in rows:
            found.setdefault(contact.customer_id, []).append(contact)
    return found
