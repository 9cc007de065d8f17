"""The region of a ticket or customer sent without one (a client that knows only the TMF standard
has no region field): the caller's configured default, the caller's only region, or else the triage
region where a dispatcher places it. Never a region outside the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.core.errors import ValidationFailed
from manyi.core.settings import get_settings
from manyi.org.reference import region_chain, region_index


@dataclass(frozen=True)
class DefaultRegion:
    code: str
    pending: bool  # the triage region: a dispatcher still has to set the real one


def triage_region(session: Session) -> str | None:
    """The configured triage region, or the single region at the top of the tree (None if several)."""
    index = region_index(session)
    configured = get_settings().triage_region
    if configured:
        return configured if configured in index else None
    roots = [code for code, info in index.items() if info.parent_code is None]
    return roots[0] if len(roots) == 1 else None


def top_regions(session: Session, regions: tuple[str, ...]) -> list[str]:
    """The caller's regions without those lying under another of them (330100 covers 330106)."""
    wanted = set(regions)
    return sorted(code for code in wanted if not wanted.intersection(region_chain(session, code)[1:]))


def default_region(
    session: Session,
    *,
    caller_regions: tuple[str, ...],
    scope: frozenset[str] | None,
    key_default: str | None = None,
) -> DefaultRegion:
    """Where to put a new ticket or customer that names no region; ValidationFailed naming `region`
    when none can be chosen inside the caller's scope."""
    if key_default is not None:
        if scope is not None and key_default not in scope:
            raise ValidationFailed(
                f"region: give region.id; the API key's default region {key_default} is outside the "
                "regions of its user (ask an administrator to fix the key)",
                field="region",
            )
        return DefaultRegion(key_default, pending=False)
    tops = top_regions(session, caller_regions)
    if len(tops) == 1:
        return DefaultRegion(tops[0], pending=False)
    triage = triage_region(session)
    if triage is not None and (scope is None or triage in scope):
        return DefaultRegion(triage, pending=True)
    yours = f"one of your regions ({', '.join(tops)})" if tops else "a region code"
    raise ValidationFailed(
        f"region: give region.id, {yours}; no default region is configured for you and the triage "
        "region is outside your regions",
        field="region",
    )
