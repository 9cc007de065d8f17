"""Cached lookups of regions and teams for the order hot path (see manyi.core.refdata)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.refdata import cached
from manyi.org.models import Region, Team


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    parent_code: str | None
    calendar_name: str | None


def _load_regions(session: Session) -> dict[str, RegionInfo]:
    return {
        r.code: RegionInfo(r.code, r.name, r.parent_code, r.calendar_name)
        for r in session.scalars(select(Region))
    }


def region_index(session: Session) -> dict[str, RegionInfo]:
    return cached(session, "regions", _load_regions)


def region_chain(session: Session, code: str) -> tuple[str, ...]:
    """The region and its ancestors (empty when unknown), so a rule for a city covers its districts."""
    index = region_index(session)
    chain: list[str] = []
    current: str | None = code
    while current and current in index and current not in chain:
        chain.append(current)
        current = index[current].parent_code
    return tuple(chain)


def _load_team_calendars(session: Session) -> dict[int, str | None]:
    return {team_id: name for team_id, name in session.execute(select(Team.id, Team.calendar_name))}


def team_calendar(session: Session, team_id: int) -> str | None:
    return cached(session, "team_calendars", _load_team_calendars).get(team_id)
