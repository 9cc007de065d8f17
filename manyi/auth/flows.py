"""Login as the API and the console run it: one owner for keeping a failed attempt."""

from __future__ import annotations

from sqlalchemy.orm import Session

from manyi.auth.models import ApiToken
from manyi.auth.service import NotAuthenticated, login


def login_flow(
    session: Session, *, username: str, password: str, client: str, via: str
) -> tuple[str, ApiToken]:
    """Log in (see `manyi.auth.service.login`); a failed attempt is committed before the error goes
    on, whatever the caller's unit of work then does: the recorded failures are what the limit
    counts, and what an auditor reads."""
    try:
        return login(session, username=username, password=password, client=client, via=via)
    except NotAuthenticated:
        session.commit()
        raise
