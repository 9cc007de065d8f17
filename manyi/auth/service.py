"""Login, bearer tokens, API keys, failed-login limits and the caller's region scope. Flush only."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from manyi.auth.models import ApiKey, ApiToken, LoginFailure
from manyi.auth.permissions import permissions_for
from manyi.core.clock import now
from manyi.core.db import is_postgres
from manyi.core.errors import ManyiError, NotFound, ValidationFailed
from manyi.core.logging import get_logger
from manyi.core.refdata import bump, cached
from manyi.org.models import User
from manyi.org.passwords import burn_password_check, verify_password
from manyi.org.reference import organisation_index, region_chain, region_index, user_index
from manyi.org.user_scope import Reach

TOKEN_LIFETIME = timedelta(hours=12)  # one shift and a half; staff log in again next day
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 30
LOGIN_LOCK_SPACE = 4242  # first key of PostgreSQL advisory locks on login attempts (one user name each)
log = get_logger(__name__)


class NotAuthenticated(ManyiError):
    status = 401
    code = "unauthorized"


class TooManyAttempts(ManyiError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff user through a token, or a system through an API key."""

    user_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    regions: tuple[str, ...]  # empty: all regions
    permissions: frozenset[str]
    token_id: int | None = None
    default_region: str | None = None  # an API key's region for requests that name none
    organisation_id: int | None = None  # None: the operator's own staff
    organisation_kind: str | None = None  # manyi.org.models.ORGANISATION_KINDS

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(
    session: Session, user_id: int, token_id: int | None = None, default_region: str | None = None
) -> Principal:
    info = user_index(session).get(user_id)
    if info is None or not info.active:
        raise NotAuthenticated("the account is disabled or no longer exists")
    organisation = organisation_index(session).get(info.organisation_id) if info.organisation_id else None
    return Principal(
        info.id,
        info.username,
        info.display_name,
        info.roles,
        info.regions,
        permissions_for(info.roles),
        token_id,
        default_region,
        organisation_id=info.organisation_id,
        organisation_kind=organisation.kind if organisation is not None else None,
    )


def _hold_attempts_of(session: Session, username: str) -> None:
    """Serialise the login attempts for one user name until this transaction ends, so parallel
    guesses cannot all pass the failure count before any of them is recorded. SQLite already runs one
    writing transaction at a time (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock."""
    if is_postgres(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))"),
            {"space": LOGIN_LOCK_SPACE, "name": username},
        )


def login(
    session: Session,
    *,
    username: str,
    password: str,
    client: str = "unknown",
    via: str = "api",
    at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """Check a password and issue a bearer token; refuse after too many recent failures. A failure
    is flushed, not committed: callers use `manyi.auth.flows.login_flow`, which keeps it."""
    at = at or now()
    since = at - FAILURE_WINDOW
    _hold_attempts_of(session, username)
    by_user, by_client = session.execute(
        select(
            select(func.count())
            .where(LoginFailure.username == username, LoginFailure.at > since)
            .scalar_subquery(),
            select(func.count())
            .where(LoginFailure.client == client, LoginFailure.at > since)
            .scalar_subquery(),
        )
    ).one()
    if by_user >= MAX_FAILURES_PER_USER or by_client >= MAX_FAILURES_PER_CLIENT:
        log.warning("login_locked", username=username, client=client, via=via)
        raise TooManyAttempts(
            f"too many failed logins; try again in {int(FAILURE_WINDOW.total_seconds() // 60)} minutes",
            retry_after=int(FAILURE_WINDOW.total_seconds()),
        )
    found = session.scalars(select(User).where(User.username == username)).first()
    user = found if found is not None and found.active else None
    if user is None:
        burn_password_check(password)  # as slow as a wrong password: timing must not reveal user names
    if user is None or not verify_password(user.password_hash, password):
        # Same message whether the user exists or not, so the answer does not reveal valid user names.
        session.add(LoginFailure(username=username[:64], client=client[:64], at=at))
        session.flush()
        log.warning("login_failed", username=username, client=client, via=via)
        raise NotAuthenticated("wrong user name or password")
    log.info("login", username=username, user_id=user.id, client=client, via=via)
    label = client if via == "api" else f"{via} {client}"  # the token's client says where it was issued
    return issue_token(session, user_id=user.id, client=label, at=at)


def issue_token(
    session: Session, *, user_id: int, client: str = "unknown", at: datetime | None = None
) -> tuple[str, ApiToken]:
    """A new bearer token for a user whose identity is already established; the secret is shown once."""
    at = at or now()
    secret = "mt_" + secrets.token_urlsafe(32)
    token = ApiToken(digest=_digest(secret), user_id=user_id, created_at=at, expires_at=at + TOKEN_LIFETIME)
    token.client = client[:64]
    session.add(token)
    session.flush()
    return secret, token


@dataclass(frozen=True)
class _TokenInfo:
    id: int
    user_id: int
    expires_at: datetime
    revoked: bool


def principal_for_token(session: Session, secret: str, *, at: datetime | None = None) -> Principal:
    """The principal behind a bearer token or API key; NotAuthenticated when unknown, expired or revoked."""
    at = at or now()
    digest = _digest(secret)
    if secret.startswith("mk_"):
        keys = cached(session, "auth_api_keys", _load_api_keys)
        key = keys.get(digest)
        if key is None:
            raise NotAuthenticated("unknown or revoked API key")
        return _principal(session, key[0], default_region=key[1])

    def load(s: Session) -> _TokenInfo | None:
        row = s.scalars(select(ApiToken).where(ApiToken.digest == digest)).first()
        return _TokenInfo(row.id, row.user_id, row.expires_at, row.revoked_at is not None) if row else None

    # Cached per data stamp: revoke_token bumps the stamp, so a revoked token stops working at once.
    info = cached(session, f"token:{digest}", load)
    if info is None or info.revoked:
        raise NotAuthenticated("unknown or revoked token; log in again")
    if info.expires_at <= at:
        raise NotAuthenticated("the token has expired; log in again")
    return _principal(session, info.user_id, info.id)


def _load_api_keys(session: Session) -> dict[str, tuple[int, str | None]]:
    return {
        k.digest: (k.user_id, k.default_region_code)
        for k in session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)))
    }


def revoke_token(session: Session, *, secret: str | None = None, token_id: int | None = None) -> None:
    """Revoke a token (logout, or an admin cutting off a lost device)."""
    query = select(ApiToken)
    query = (
        query.where(ApiToken.digest == _digest(secret)) if secret else query.where(ApiToken.id == token_id)
    )
    token = session.scalars(query).first()
    if token is None:
        raise NotFound("token not found")
    token.revoked_at = token.revoked_at or now()
    session.flush()
    bump(session)


def revoke_user_tokens(session: Session, *, user_id: int) -> int:
    """Revoke every live token of a user (account disabled, role changed)."""
    tokens = list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)))
    )
    for token in tokens:
        token.revoked_at = now()
    session.flush()
    bump(session)
    return len(tokens)


def create_api_key(
    session: Session, *, name: str, username: str, default_region: str | None = None
) -> tuple[str, ApiKey]:
    """Create a key for a system account; the secret is shown once and never stored."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ValidationFailed(f"user: unknown user {username!r}", field="user")
    if session.scalars(select(ApiKey).where(ApiKey.name == name)).first():
        raise ValidationFailed(f"name: an API key called {name!r} already exists", field="name")
    secret = "mk_" + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=secret[:10], digest=_digest(secret), user_id=user.id)
    key.default_region_code = _key_region(session, user, default_region)
    session.add(key)
    session.flush()
    return secret, key


def set_api_key_default_region(session: Session, *, name: str, region: str | None) -> ApiKey:
    """Set (or clear, with None) where the key's tickets and customers go when they name no region."""
    key = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if key is None:
        raise NotFound(f"API key {name!r} does not exist")
    user = session.get(User, key.user_id)
    assert user is not None  # a foreign key
    key.default_region_code = _key_region(session, user, region)
    session.flush()
    return key


def _key_region(session: Session, user: User, region: str | None) -> str | None:
    """A key's default region must exist and lie inside its user's regions (no way around the scope)."""
    if region is None:
        return None
    if region not in region_index(session):
        raise ValidationFailed(f"default_region: unknown region {region!r}", field="default_region")
    if user.regions and not set(user.regions).intersection(region_chain(session, region)):
        raise ValidationFailed(
            f"default_region: {region} is outside the regions of user {user.username} "
            f"({', '.join(user.regions)})",
            field="default_region",
        )
    return region


def revoke_api_key(session: Session, *, name: str) -> None:
    key = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if key is None:
        raise NotFound(f"API key {name!r} does not exist")
    key.revoked_at = key.revoked_at or now()
    session.flush()


def scope_regions(session: Session, principal: Principal) -> frozenset[str] | None:
    """Every region code the caller may see (its regions and their descendants); None means all."""
    if not principal.regions:
        return None
    wanted = frozenset(principal.regions)

    def load(s: Session) -> frozenset[str]:
        return frozenset(code for code in region_index(s) if wanted.intersection(region_chain(s, code)))

    return cached(session, "scope:" + ",".join(sorted(wanted)), load)


def in_scope(session: Session, principal: Principal, region_code: str | None) -> bool:
    scope = scope_regions(session, principal)
    return scope is None or (region_code is not None and region_code in scope)


def user_reach(session: Session, principal: Principal) -> Reach:
    """What the caller holds when administering users: their permissions and region scope."""
    return Reach(principal.permissions, scope_regions(session, principal))
