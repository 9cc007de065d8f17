"""The single source of 'now'. Tests move it with time-machine; nothing else calls datetime.now()."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo


def now() -> datetime:
    """Return the current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def ensure_aware(value: datetime, *, field: str = "datetime") -> datetime:
    """Return value in UTC, refusing naive datetimes (they are ambiguous)."""
    if value.tzinfo is None or value.utcoffset() is None:
        from manyi.core.errors import ValidationFailed

        raise ValidationFailed(f"{field}: expected a datetime with a UTC offset, got {value.isoformat()}")
    return value.astimezone(UTC)


def zone(name: str) -> tzinfo:
    """Return the IANA time zone called name."""
    return ZoneInfo(name)
