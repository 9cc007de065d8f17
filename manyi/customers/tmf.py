"""Customers as TMF629 Customer resources (`@type: ManyiCustomer`), with PII masked for callers
without the pii:read permission, and TMF629 bodies read back into service arguments.

A person is an engagedParty of `@referredType: Individual`; an organization (政企/集团客户) one of
`@referredType: Organization`, with its contact persons as `relatedParty` entries of role `contact`
(`@type: ManyiContact`, each with its own `contactMedium`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.api.errors import ApiError
from manyi.core.crypto import decrypt
from manyi.core.masking import mask_id_number, mask_phone, mask_service_number, mask_values
from manyi.customers.contacts import ContactIn, contacts_of
from manyi.customers.models import Customer, CustomerContact, Subscription
from manyi.org.reference import region_index

BASE = "/tmf-api/customerManagement/v4/customer"
SCHEMA_PATH = "/api/v1/schemas/ManyiCustomer"  # served by manyi.customers.endpoints
BRAND_NAMES = {"gotone": "全球通", "mzone": "动感地带", "easyown": "神州行"}
PARTY_TYPES = {"Individual": "individual", "Organization": "organization"}
REFERRED_TYPES = {kind: name for name, kind in PARTY_TYPES.items()}
READ_ONLY = frozenset({"id", "href", "subscription", "version"})
# Standard TMF629 fields Manyi keeps no data for: refused by name rather than silently dropped.
NOT_STORED = frozenset({"account", "agreement", "creditProfile", "paymentMethod", "validFor", "statusReason"})


def documents(
    session: Session, customers: list[Customer], *, pii: bool, base_url: str
) -> list[dict[str, Any]]:
    """The TMF629 documents of customers (one query for all their subscriptions, one for contacts);
    base_url makes @schemaLocation absolute."""
    subs: dict[int, list[Subscription]] = {}
    ids = [c.id for c in customers]
    if ids:
        for s in session.scalars(
            select(Subscription).where(Subscription.customer_id.in_(ids)).order_by(Subscription.id)
        ):
            subs.setdefault(s.customer_id, []).append(s)
    organizations = [c.id for c in customers if c.kind == "organization"]
    contacts = contacts_of(session, organizations)
    regions = region_index(session)
    docs = [
        _document(c, subs.get(c.id, []), contacts.get(c.id, []), regions.get(c.region_code), pii, base_url)
        for c in customers
    ]
    # The fields that hold phone and ID numbers are masked above; any other text that holds one too.
    return docs if pii else [mask_values(d) for d in docs]


def _medium(phone: str | None, email: str | None = None) -> list[dict[str, Any]]:
    media: list[dict[str, Any]] = []
    if phone:
        mobile = phone.startswith("1")  # mobile numbers (masked ones too); landlines start 0 or +86
        media.append(
            {
                "mediumType": "mobile" if mobile else "phone",
                "preferred": True,
                "characteristic": {"contactType": "mobile" if mobile else "office", "phoneNumber": phone},
            }
        )
    if email:
        media.append(
            {"mediumType": "email", "characteristic": {"contactType": "email", "emailAddress": email}}
        )
    return media


def _contact(contact: CustomerContact, pii: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": contact.party_id,
        "name": contact.name,
        "role": "contact",
        "@type": "ManyiContact",
        "@referredType": "Individual",
        "contactMedium": _medium(contact.phone if pii else mask_phone(contact.phone), contact.email),
    }
    if contact.title:
        doc["title"] = contact.title
    return doc


def _document(
    c: Customer,
    subs: list[Subscription],
    contacts: list[CustomerContact],
    region: Any,
    pii: bool,
    base_url: str,
) -> dict[str, Any]:
    phone = c.phone if pii else mask_phone(c.phone)
    id_number = decrypt(c.id_number_encrypted) if c.id_number_encrypted else None
    characteristic = [
        {"name": "brand", "valueType": "string", "value": c.brand},
        {"name": "brandName", "valueType": "string", "value": BRAND_NAMES.get(c.brand, c.brand)},
        {"name": "vipLevel", "valueType": "integer", "value": c.vip_level},
        {"name": "listFlag", "valueType": "string", "value": c.list_flag},
    ]
    if id_number:
        characteristic.append(
            {
                "name": "idNumber",
                "valueType": "string",
                "value": id_number if pii else mask_id_number(id_number),
            }
        )
    return {
        "id": str(c.id),
        "href": f"{BASE}/{c.id}",
        "@type": "ManyiCustomer",
        "@baseType": "Customer",
        "@schemaLocation": base_url + SCHEMA_PATH,  # TMF: a URI, so absolute
        "name": c.name,
        "status": "approved",
        "engagedParty": {
            "id": c.customer_no,
            "name": c.name,
            "role": "customer",
            "@referredType": REFERRED_TYPES.get(c.kind, "Individual"),
        },
        "contactMedium": _medium(phone),
        "relatedParty": [_contact(contact, pii) for contact in contacts],
        "characteristic": characteristic,
        "validFor": {"startDateTime": c.created_at.isoformat()},
        # Manyi extension
        "region": {"id": c.region_code, "name": region.name if region else None},
        "subscription": [
            {
                "id": str(s.id),
                "product": s.product,
                "serviceNumber": s.service_number
                if pii
                else mask_service_number(s.service_number, s.product),
                "address": s.address,
                "status": s.status,
            }
            for s in subs
        ],
        "version": c.version,
    }


def _characteristics(body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    items = body.get("characteristic") or []
    if not isinstance(items, list):
        raise ApiError(400, "characteristic: expected a list", field="characteristic")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ApiError(400, "characteristic: each entry needs a name and a value", field="characteristic")
        found[item["name"]] = item.get("value")
    return found


def _phone(body: dict[str, Any]) -> tuple[bool, Any]:
    media = body.get("contactMedium")
    if media is None:
        return False, None
    if not isinstance(media, list):
        raise ApiError(400, "contactMedium: expected a list", field="contactMedium")
    for medium in media:
        characteristic = medium.get("characteristic") if isinstance(medium, dict) else None
        if isinstance(characteristic, dict) and characteristic.get("phoneNumber"):
            if not isinstance(characteristic["phoneNumber"], str):
                raise ApiError(400, "phoneNumber: expected a string", field="phoneNumber")
            return True, characteristic["phoneNumber"]
    return True, None


WRITABLE = frozenset(
    {
        "name",
        "contactMedium",
        "characteristic",
        "region",
        "relatedParty",
        "@type",
        "@baseType",
        "@schemaLocation",
        "engagedParty",
        "status",
    }
)


def changes_from(body: dict[str, Any]) -> dict[str, Any]:
    """Service field changes from a TMF629 body (create or merge patch)."""
    for key in body:
        if key in READ_ONLY:
            raise ApiError(400, f"{key}: is read-only and cannot be changed", field=key)
        if key in NOT_STORED:
            raise ApiError(400, f"{key}: Manyi keeps no {key} for customers; leave it out", field=key)
        if key not in WRITABLE:
            raise ApiError(
                400,
                f"{key}: not a field Manyi stores; expected name, contactMedium, characteristic, "
                "relatedParty, region",
            )
    if body.get("@type") not in (None, "Customer", "ManyiCustomer"):
        raise ApiError(
            400, f"@type: expected Customer or ManyiCustomer, got {body['@type']!r}", field="@type"
        )
    if body.get("@baseType") not in (None, "Customer"):
        raise ApiError(400, f"@baseType: expected Customer, got {body['@baseType']!r}", field="@baseType")
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = body["name"]
    has_phone, phone = _phone(body)
    if has_phone:
        changes["phone"] = phone
    chars = _characteristics(body)
    for tmf, field in (("brand", "brand"), ("vipLevel", "vip_level"), ("listFlag", "list_flag")):
        if tmf in chars:
            changes[field] = chars[tmf]
    unknown = set(chars) - {"brand", "vipLevel", "listFlag", "listFlagReason", "idNumber", "brandName"}
    if unknown:
        raise ApiError(
            400,
            f"characteristic: unknown {', '.join(sorted(unknown))}; "
            "use brand, vipLevel, listFlag, listFlagReason, idNumber",
        )
    # Write-only: why the red/blue list flag is set or cleared (kept in the customer's history).
    if "listFlagReason" in chars:
        if not isinstance(chars["listFlagReason"], str):
            raise ApiError(400, "listFlagReason: expected a string", field="listFlagReason")
        changes["list_flag_reason"] = chars["listFlagReason"]
    region = body.get("region")
    if region is not None:
        if not isinstance(region, dict) or not isinstance(region.get("id"), str) or not region["id"]:
            raise ApiError(400, 'region: expected {"id": region code}', field="region")
        changes["region_code"] = region["id"]
    if "idNumber" in chars:
        if not isinstance(chars["idNumber"], str):
            raise ApiError(400, "idNumber: expected a string", field="idNumber")
        changes["id_number"] = chars["idNumber"]
    if "relatedParty" in body:  # a merge patch replaces the list; null empties it
        changes["contacts"] = contacts_from(body["relatedParty"])
    return changes


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{where}: expected a string", field="relatedParty")
    return value


def contacts_from(parties: Any) -> list[ContactIn]:
    """Contact persons from TMF relatedParty entries of role contact (the service checks the values)."""
    if parties is None:
        return []
    if not isinstance(parties, list):
        raise ApiError(400, "relatedParty: expected a list", field="relatedParty")
    contacts = []
    for i, party in enumerate(parties):
        where = f"relatedParty[{i}]"
        if not isinstance(party, dict):
            raise ApiError(400, f"{where}: expected an object", field="relatedParty")
        if str(party.get("role", "")).lower() != "contact":
            raise ApiError(
                400,
                f"{where}.role: expected contact (Manyi keeps the contact persons of organizations), "
                f"got {party.get('role')!r}",
                field="relatedParty",
            )
        if party.get("@referredType", "Individual") != "Individual":
            raise ApiError(400, f"{where}.@referredType: expected Individual", field="relatedParty")
        name = _text(party.get("name"), f"{where}.name")
        if not name:
            raise ApiError(400, f"{where}.name: required", field="relatedParty")
        phone = email = None
        media = party.get("contactMedium") or []
        if not isinstance(media, list):
            raise ApiError(400, f"{where}.contactMedium: expected a list", field="relatedParty")
        for medium in media:
            characteristic = medium.get("characteristic") if isinstance(medium, dict) else None
            if isinstance(characteristic, dict):
                phone = phone or _text(characteristic.get("phoneNumber"), f"{where}.phoneNumber")
                email = email or _text(characteristic.get("emailAddress"), f"{where}.emailAddress")
        contacts.append(
            ContactIn(
                name=name,
                party_id=_text(party.get("id"), f"{where}.id"),
                title=_text(party.get("title"), f"{where}.title"),
                phone=phone,
                email=email,
            )
        )
    return contacts
