"""Cached lookups of regions and teams for the order hot path (see manyi.core.refdata)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.core.refdata import cached
from manyi.org.models import Organisation, Region, Team, User


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    parent_code: str | None
    calendar_name: str | None
    level: str = ""  # province | city | district


def _load_regions(session: Session) -> dict[str, RegionInfo]:
    return {
        r.code: RegionInfo(r.code, r.name, r.parent_code, r.calendar_name, r.level)
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


def _load_team_names(session: Session) -> dict[int, str]:
    return {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}


def team_name(session: Session, team_id: int | None) -> str | None:
    return cached(session, "team_names", _load_team_names).get(team_id) if team_id else None


def _load_team_regions(session: Session) -> dict[int, str | None]:
    return {team_id: code for team_id, code in session.execute(select(Team.id, Team.region_code))}


def team_region(session: Session, team_id: int) -> str | None:
    """The region a team works in (None: no region, it covers everything)."""
    return cached(session, "team_regions", _load_team_regions).get(team_id)


def team_by_name(session: Session, name: str) -> int | None:
    return next((i for i, n in cached(session, "team_names", _load_team_names).items() if n == name), None)


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    regions: tuple[str, ...]
    active: bool
    team_id: int | None
    organisation_id: int | None = None


def _load_users(session: Session) -> dict[int, UserInfo]:
    return {
        u.id: UserInfo(
            u.id,
            u.username,
            u.display_name,
            tuple(u.roles),
            tuple(u.regions),
            u.active,
            u.team_id,
            u.organisation_id,
        )
        for u in session.scalars(select(User))
    }


def user_index(session: Session) -> dict[int, UserInfo]:
    """Every user by id (staff and system accounts: hundreds, not millions)."""
    return cached(session, "users", _load_users)


def user_by_username(session: Session, username: str) -> UserInfo | None:
    return next((u for u in user_index(session).values() if u.username == username), None)


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    name: str
    kind: str  # manyi.org.models.ORGANISATION_KINDS
    active: bool


def _load_organisations(session: Session) -> dict[int, OrganisationInfo]:
    return {
        o.id: OrganisationInfo(o.id, o.name, o.kind, o.active) for o in session.scalars(select(Organisation))
    }


def organisation_index(session: Session) -> dict[int, OrganisationInfo]:
    """Every organisation by id (the operator's partners and contractors: tens, not thousands)."""
    return cached(session, "organisations", _load_organisations)


def _load_team_organisations(session: Session) -> dict[int, int | None]:
    return {team_id: org for team_id, org in session.execute(select(Team.id, Team.organisation_id))}


def team_organisation(session: Session, team_id: int | None) -> int | None:
    """The organisation a team belongs to (None: the operator's own team, or no team)."""
    return cached(session, "team_organisations", _load_team_organisations).get(team_id) if team_id else None
