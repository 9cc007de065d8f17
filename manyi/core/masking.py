"""PII masking for roles without the PII permission."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number as 138****5678."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(id_number: str | None) -> str | None:
    """Mask an ID-card number, keeping the first 6 and last 4 characters."""
    if not id_number:
        return id_number
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * (len(id_number) - 10)}{id_number[-4:]}"
