"""Customers as TMF629 Customer resources (`@type: ManyiCustomer`), with PII masked for callers
without the pii:read permission, and TMF629 bodies read back into service arguments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.api.errors import ApiError
from manyi.core.crypto import decrypt
from manyi.core.masking import mask_id_number, mask_phone, mask_service_number, mask_values
from manyi.customers.models import Customer, Subscription
from manyi.org.reference import region_index

BASE = "/tmf-api/customerManagement/v4/customer"
BRAND_NAMES = {"gotone": "全球通", "mzone": "动感地带", "easyown": "神州行"}
READ_ONLY = frozenset(
    {"id", "href", "@baseType", "@schemaLocation", "subscription", "version", "account", "agreement"}
)


def documents(session: Session, customers: list[Customer], *, pii: bool) -> list[dict[str, Any]]:
    """The TMF629 documents of customers (one query for all their subscriptions)."""
    subs: dict[int, list[Subscription]] = {}
    ids = [c.id for c in customers]
    if ids:
        for s in session.scalars(
            select(Subscription).where(Subscription.customer_id.in_(ids)).order_by(Subscription.id)
        ):
            subs.setdefault(s.customer_id, []).append(s)
    regions = region_index(session)
    docs = [_document(c, subs.get(c.id, []), regions.get(c.region_code), pii) for c in customers]
    # The fields that hold phone and ID numbers are masked above; any other text that holds one too.
    return docs if pii else [mask_values(d) for d in docs]


def _document(c: Customer, subs: list[Subscription], region: Any, pii: bool) -> dict[str, Any]:
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
        "name": c.name,
        "status": "approved",
        "engagedParty": {
            "id": c.customer_no,
            "name": c.name,
            "role": "customer",
            "@referredType": "Individual",
        },
        "contactMedium": (
            [
                {
                    "mediumType": "mobile",
                    "preferred": True,
                    "characteristic": {"contactType": "mobile", "phoneNumber": phone},
                }
            ]
            if c.phone
            else []
        ),
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


WRITABLE = frozenset({"name", "contactMedium", "characteristic", "region", "@type", "engagedParty", "status"})


def changes_from(body: dict[str, Any]) -> dict[str, Any]:
    """Service field changes from a TMF629 body (create or merge patch)."""
    for key in body:
        if key in READ_ONLY:
            raise ApiError(400, f"{key}: is read-only and cannot be changed", field=key)
        if key not in WRITABLE:
            raise ApiError(
                400, f"{key}: not a field Manyi stores; expected name, contactMedium, characteristic, region"
            )
    if body.get("@type") not in (None, "Customer", "ManyiCustomer"):
        raise ApiError(
            400, f"@type: expected Customer or ManyiCustomer, got {body['@type']!r}", field="@type"
        )
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
    unknown = set(chars) - {"brand", "vipLevel", "listFlag", "idNumber", "brandName"}
    if unknown:
        raise ApiError(
            400,
            f"characteristic: unknown {', '.join(sorted(unknown))}; use brand, vipLevel, listFlag, idNumber",
        )
    region = body.get("region")
    if region is not None:
        if not isinstance(region, dict) or not isinstance(region.get("id"), str) or not region["id"]:
            raise ApiError(400, 'region: expected {"id": region code}', field="region")
        changes["region_code"] = region["id"]
    if "idNumber" in chars:
        if not isinstance(chars["idNumber"], str):
            raise ApiError(400, "idNumber: expected a string", field="idNumber")
        changes["id_number"] = chars["idNumber"]
    return changes
