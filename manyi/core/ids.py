"""Identifiers: readable work-order numbers and opaque ids."""

from __future__ import annotations

import uuid
from datetime import datetime


def new_uuid() -> str:
    """Return a new random id as a 32-character hex string."""
    return uuid.uuid4().hex


def order_number(created_at: datetime, sequence: int) -> str:
    """Return the human order number, e.g. GD20261122000123 (工单 + date + daily sequence)."""
    return f"GD{created_at:%Y%m%d}{sequence:06d}"
