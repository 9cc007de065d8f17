"""Bearer tokens, API keys and failed logins. Secrets are never stored, only their SHA-256 digest:
tokens and keys are 256-bit random strings, so a fast digest is safe (argon2 is for passwords, which
people choose) and checking one costs microseconds instead of a password hash per request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.core.clock import now
from manyi.core.db import Base, UTCDateTime
from manyi.core.refdata import register_tables


class ApiToken(Base):
    """A bearer token issued at login; revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client: Mapped[str | None] = mapped_column(String(64))


class ApiKey(Base):
    """A long-lived key for a system (CRM, CTI, network monitoring, partners), acting as a user."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings so a key can be recognised
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Where a ticket or customer this system sends without a region goes (a standard TMF client
    # knows no region); must lie inside the user's regions.
    default_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed password login, for rate limiting by user name and by client address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# Keys and users change rarely and are checked on every request: cached per process. Tokens are
# looked up one by one (see service.principal_for_token) and revocation bumps the stamp itself.
register_tables("api_keys", "users")
