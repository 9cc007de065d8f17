"""Staff users, teams and regions. Flush, never commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.auth.permissions import ROLES
from manyi.calendars.models import Calendar
from manyi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from manyi.org.models import Department, Region, Team, User
from manyi.org.organisations import check_organisation
from manyi.org.password_policy import password_problem
from manyi.org.passwords import hash_password
from manyi.org.reference import user_index
from manyi.org.user_scope import Reach, reach_problem

USER_CHANGEABLE = frozenset(
    {
        "display_name",
        "roles",
        "regions",
        "skills",
        "team_id",
        "organisation_id",
        "phone",
        "email",
        "active",
        "password",
    }
)
TEAM_CHANGEABLE = frozenset(
    {"name", "department_id", "region_code", "lead_user_id", "calendar_name", "organisation_id"}
)


def _check_roles(roles: list[str]) -> list[str]:
    if not roles:
        raise ValidationFailed(
            f"role: give at least one of {', '.join(ROLES)}", field="role", key="role.missing"
        )
    for role in roles:
        if role not in ROLES:
            raise ValidationFailed(
                f"role: unknown role {role!r}; expected one of {', '.join(ROLES)}",
                field="role",
                key="role.unknown",
                params={"role": role},
            )
    return sorted(set(roles))


def _check_regions(session: Session, regions: list[str]) -> list[str]:
    for code in regions:
        if session.get(Region, code) is None:
            raise ValidationFailed(
                f"region: unknown region code {code!r}",
                field="region",
                key="region.unknown",
                params={"code": code},
            )
    return list(dict.fromkeys(regions))


def _check_password(password: str, *, username: str) -> str:
    problem = password_problem(password, username=username)
    if problem is not None:
        raise ValidationFailed(problem.message, field="password")
    return hash_password(password)


def _check_reach(
    actor: Reach | None,
    *,
    current_roles: list[str] | None = None,
    roles: list[str] | None = None,
    regions: list[str] | None = None,
) -> None:
    if actor is None:  # the CLI: whoever runs it on the server already holds everything
        return
    problem = reach_problem(actor, current_roles=current_roles or (), roles=roles, regions=regions)
    if problem is not None:
        field = "regions" if problem.kind in ("region", "all_regions") else "roles"
        raise PermissionDenied(f"{field}: {problem.english}", field=field)


def visible_user(session: Session, *, user_id: int, actor: Reach | None) -> User:
    """A user the actor may see; one outside their regions is reported as missing, like an order."""
    user = session.get(User, user_id)
    if user is None or (actor is not None and not actor.sees(user.regions)):
        raise NotFound(f"user {user_id} does not exist")
    return user


def visible_user_ids(session: Session, *, actor: Reach) -> list[int]:
    """Ids of the users the actor may see (users are hundreds, not millions: filtered in Python by
    the same rule as one user, instead of a JSON containment query per database)."""
    return [u.id for u in user_index(session).values() if actor.sees(u.regions)]


def _check_team(session: Session, team_id: int | None) -> int | None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise ValidationFailed(f"team: unknown team id {team_id}", field="team", key="team.unknown")
    return team_id


def _check_display_name(name: str) -> str:
    if not name.strip() or len(name.strip()) > 64:
        raise ValidationFailed(
            f"displayName: expected 1-64 characters, got {name!r}", field="displayName", key="name.length"
        )
    return name.strip()


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str | None = None,
    roles: list[str],
    regions: list[str] | None = None,
    password: str | None = None,
    team_name: str | None = None,
    team_id: int | None = None,
    skills: list[str] | None = None,
    phone: str | None = None,
    email: str | None = None,
    organisation_id: int | None = None,
    actor: Reach | None = None,
) -> User:
    """Create a staff user; no regions means all regions. An actor grants only what they hold."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ValidationFailed(
            f"username: expected 1-64 characters without spaces, got {username!r}",
            field="username",
            key="username.format",
        )
    if session.scalars(select(User).where(User.username == username)).first():
        raise Conflict(f"username: {username!r} already exists", field="username")
    checked_roles = _check_roles(roles)
    regions = _check_regions(session, regions or [])
    _check_reach(actor, roles=checked_roles, regions=regions)
    if team_name:
        team = session.scalars(select(Team).where(Team.name == team_name)).first()
        if team is None:
            raise ValidationFailed(f"team: unknown team {team_name!r}", field="team", key="team.unknown")
        team_id = team.id
    user = User(
        username=username,
        display_name=_check_display_name(display_name) if display_name else username,
        roles=checked_roles,
        regions=regions,
        skills=skills or [],
        team_id=_check_team(session, team_id),
        organisation_id=check_organisation(session, organisation_id),
        phone=phone,
        email=email,
        password_hash=_check_password(password, username=username) if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ValidationFailed(f"user: unknown user {username!r}", field="user")
    return user


@dataclass(frozen=True)
class UserChange:
    user: User
    revoked_tokens: int


def update_user(
    session: Session,
    *,
    user_id: int,
    changes: Mapping[str, Any],
    actor_id: int | None = None,
    actor: Reach | None = None,
) -> UserChange:
    """Apply changes (keys of USER_CHANGEABLE). Disabling a user, or changing their roles, regions or
    password, revokes their tokens; nobody changes their own roles, regions or active flag. An actor
    changes only users inside their regions (else NotFound) and grants only what they hold."""
    from manyi.auth.service import revoke_user_tokens

    unknown = set(changes) - USER_CHANGEABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: cannot be changed", field=sorted(unknown)[0])
    user = visible_user(session, user_id=user_id, actor=actor)
    new: dict[str, Any] = {}
    if "display_name" in changes:
        new["display_name"] = _check_display_name(changes["display_name"])
    if "roles" in changes:
        new["roles"] = _check_roles(changes["roles"])
    if "regions" in changes:
        new["regions"] = _check_regions(session, changes["regions"])
    _check_reach(actor, current_roles=list(user.roles), roles=new.get("roles"), regions=new.get("regions"))
    if "skills" in changes:
        new["skills"] = list(dict.fromkeys(changes["skills"]))
    if "team_id" in changes:
        new["team_id"] = _check_team(session, changes["team_id"])
    if "organisation_id" in changes:
        new["organisation_id"] = check_organisation(session, changes["organisation_id"])
    for key in ("phone", "email", "active"):
        if key in changes:
            new[key] = changes[key]
    new = {k: v for k, v in new.items() if getattr(user, k) != v}
    if user_id == actor_id:
        for key, field in (
            ("roles", "roles"),
            ("regions", "regions"),
            ("organisation_id", "organisation"),
            ("active", "active"),
        ):
            if key in new:
                raise ValidationFailed(
                    f"{field}: you cannot change your own {field}; ask another administrator", field=field
                )
    # Tokens carry no roles (each request reads them afresh); revoking makes the user log in again
    # and see what changed, and cuts off a session that should no longer exist.
    revoke = bool({"roles", "regions", "organisation_id"} & set(new)) or new.get("active") is False
    if changes.get("password") is not None:
        new["password_hash"] = _check_password(changes["password"], username=user.username)
        revoke = revoke or user_id != actor_id  # changing one's own password keeps one logged in
    for key, value in new.items():
        setattr(user, key, value)
    session.flush()
    revoked = revoke_user_tokens(session, user_id=user.id) if revoke else 0
    return UserChange(user, revoked)


def _check_team_values(session: Session, values: Mapping[str, Any], team_id: int | None = None) -> None:
    if "name" in values:
        name = values["name"]
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 64:
            raise ValidationFailed(
                f"name: expected 1-64 characters, got {name!r}", field="name", key="name.length"
            )
        other = session.scalars(select(Team).where(Team.name == name.strip())).first()
        if other is not None and other.id != team_id:
            raise Conflict(f"name: a team called {name.strip()!r} already exists", field="name")
    if "department_id" in values and session.get(Department, values["department_id"]) is None:
        raise ValidationFailed(
            f"department: unknown department id {values['department_id']}", field="department"
        )
    code = values.get("region_code")
    if code is not None and session.get(Region, code) is None:
        raise ValidationFailed(
            f"regionCode: unknown region code {code!r}",
            field="regionCode",
            key="region.unknown",
            params={"code": code},
        )
    lead = values.get("lead_user_id")
    if lead is not None and session.get(User, lead) is None:
        raise ValidationFailed(f"lead: unknown user id {lead}", field="lead")
    calendar = values.get("calendar_name")
    if calendar is not None and session.get(Calendar, calendar) is None:
        raise ValidationFailed(
            f"calendar: unknown calendar {calendar!r}",
            field="calendar",
            key="calendar.unknown",
            params={"calendar": calendar},
        )


def create_team(
    session: Session,
    *,
    name: str,
    department_id: int,
    region_code: str | None = None,
    lead_user_id: int | None = None,
    calendar_name: str | None = None,
    organisation_id: int | None = None,
) -> Team:
    """Create a team in a department; its calendar (if any) runs the SLA clocks of its orders; a
    contractor organisation's team is one of its field crews."""
    values = {
        "name": name,
        "department_id": department_id,
        "region_code": region_code,
        "lead_user_id": lead_user_id,
        "calendar_name": calendar_name,
    }
    _check_team_values(session, values)
    team = Team(
        **{**values, "name": name.strip()}, organisation_id=check_organisation(session, organisation_id)
    )
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, *, team_id: int, changes: Mapping[str, Any]) -> Team:
    """Apply changes (keys of TEAM_CHANGEABLE); a new calendar applies to clocks started from now on."""
    unknown = set(changes) - TEAM_CHANGEABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]}: cannot be changed", field=sorted(unknown)[0])
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    if "department_id" in changes and changes["department_id"] is None:
        raise ValidationFailed("department: a team belongs to a department", field="department")
    _check_team_values(session, changes, team.id)
    if "organisation_id" in changes:
        check_organisation(session, changes["organisation_id"])
    for key, value in changes.items():
        setattr(team, key, value.strip() if key == "name" else value)
    session.flush()
    return team


def team_member_counts(session: Session, *, team_ids: list[int]) -> dict[int, int]:
    """How many users (active or not) belong to each team."""
    if not team_ids:
        return {}
    rows = session.execute(
        select(User.team_id, func.count()).where(User.team_id.in_(team_ids)).group_by(User.team_id)
    )
    return {team_id: count for team_id, count in rows if team_id is not None}


def department_names(session: Session, *, department_ids: list[int]) -> dict[int, str]:
    if not department_ids:
        return {}
    rows = session.execute(select(Department.id, Department.name).where(Department.id.in_(department_ids)))
    return {department_id: name for department_id, name in rows}
