"""What the member of staff acting in a service call may do, for rules the services enforce
themselves whatever the entry point (a callback's caller, a red/blue list change)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from manyi.auth.permissions import permissions_for
from manyi.org.reference import UserInfo, user_index


def permissions_of(info: UserInfo | None) -> frozenset[str]:
    """A user's permissions: nothing for no one, or for a disabled account."""
    return permissions_for(info.roles) if info is not None and info.active else frozenset()


def actor_permissions(session: Session, actor_id: int | None) -> frozenset[str]:
    """The acting user's permissions (see permissions_of)."""
    return permissions_of(user_index(session).get(actor_id) if actor_id is not None else None)
