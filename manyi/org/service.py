"""Staff users, teams and regions. Flush, never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.auth.permissions import ROLES
from manyi.core.errors import ValidationFailed
from manyi.org.models import Region, Team, User
from manyi.org.passwords import hash_password

MIN_PASSWORD_LENGTH = 8


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str | None = None,
    roles: list[str],
    regions: list[str] | None = None,
    password: str | None = None,
    team_name: str | None = None,
    skills: list[str] | None = None,
    phone: str | None = None,
) -> User:
    """Create a staff user; no regions means all regions."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise ValidationFailed(
            f"username: expected 1-64 characters without spaces, got {username!r}", field="username"
        )
    if session.scalars(select(User).where(User.username == username)).first():
        raise ValidationFailed(f"username: {username!r} already exists", field="username")
    if not roles:
        raise ValidationFailed(f"role: give at least one of {', '.join(ROLES)}", field="role")
    for role in roles:
        if role not in ROLES:
            raise ValidationFailed(
                f"role: unknown role {role!r}; expected one of {', '.join(ROLES)}", field="role"
            )
    regions = regions or []
    for code in regions:
        if session.get(Region, code) is None:
            raise ValidationFailed(f"region: unknown region code {code!r}", field="region")
    team_id = None
    if team_name:
        team = session.scalars(select(Team).where(Team.name == team_name)).first()
        if team is None:
            raise ValidationFailed(f"team: unknown team {team_name!r}", field="team")
        team_id = team.id
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"password: expected at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    user = User(
        username=username,
        display_name=display_name or username,
        roles=sorted(set(roles)),
        regions=regions,
        skills=skills or [],
        team_id=team_id,
        phone=phone,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ValidationFailed(f"user: unknown user {username!r}", field="user")
    return user
