"""Resolution codes: how an order was resolved. One list for every page that offers a choice.

The list is what staff are offered, not what the service accepts: TMF621 clients send codes of their
own (or a statusChangeReason standing in for one), and orders resolved before the list existed keep
theirs, so transition_order stores any non-empty code.
"""

from __future__ import annotations

from manyi.core.errors import ValidationFailed

# What a technician may report when finishing a job on site (the job page offers only these).
ON_SITE_RESOLUTION_CODES: tuple[str, ...] = (
    "repaired",
    "installed",
    "equipment_replaced",
    "relocated",
    "removed",
    "no_fault_found",
    "customer_side_issue",
)
# Every code, desk work first: the order page's resolve form offers these.
RESOLUTION_CODES: tuple[str, ...] = (
    "fixed",
    "explained",
    "answered",
    "refunded",
    "duplicate",
    *ON_SITE_RESOLUTION_CODES,
)


def check_on_site_resolution(code: str) -> None:
    """Refuse an empty code or one a technician cannot report on site."""
    if not code:
        raise ValidationFailed("resolution_code: choose how the job was resolved", field="resolution_code")
    if code not in ON_SITE_RESOLUTION_CODES:
        raise ValidationFailed(
            f"resolution_code: expected one of {', '.join(ON_SITE_RESOLUTION_CODES)}, got {code!r}",
            field="resolution_code",
        )
