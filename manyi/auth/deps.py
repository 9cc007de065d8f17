"""Per-request unit of work and caller: one session for authentication and the work it authorises."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from manyi.auth.service import NotAuthenticated, Principal, in_scope, principal_for_token, scope_regions
from manyi.core.db import unit_of_work
from manyi.core.errors import NotFound, PermissionDenied


@dataclass
class Ctx:
    """The request's session and the authenticated caller."""

    session: Session
    principal: Principal

    def require(self, permission: str) -> None:
        if not self.principal.can(permission):
            raise PermissionDenied(
                f"your role ({', '.join(self.principal.roles) or 'none'}) does not allow {permission}"
            )

    def scope(self) -> frozenset[str] | None:
        return scope_regions(self.session, self.principal)

    def check_region(self, region_code: str | None, what: str) -> None:
        """Out-of-scope objects are reported as missing, so their existence does not leak."""
        if not in_scope(self.session, self.principal, region_code):
            raise NotFound(f"{what} does not exist")


def _secret(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = request.headers.get("x-api-key", "").strip()
    if key:
        return key
    raise NotAuthenticated("log in first: send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'")


def ctx(request: Request) -> Iterator[Ctx]:
    """Open the unit of work, authenticate the caller in it, and commit when the endpoint succeeds."""
    with unit_of_work() as session:
        yield Ctx(session, principal_for_token(session, _secret(request)))


def db() -> Iterator[Session]:
    """A unit of work for unauthenticated endpoints (login)."""
    with unit_of_work() as session:
        yield session
