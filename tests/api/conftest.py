"""API fixtures: the app over the test engine (SQLite and PostgreSQL), users of every role, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from manyi.app import create_app
from manyi.auth.permissions import ROLES
from manyi.auth.service import create_api_key, issue_token
from manyi.org.passwords import hash_password
from manyi.org.service import create_user
from tests.console.conftest import console
from tests.operator_fixture import Operator

# The console's fixture as well: the probe replay, the limits and the route fuzz drive both.
__all__ = ["console"]

PASSWORD = "correct-horse-9"
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class Api:
    """A test client plus ready-made credentials: `headers(role)` for a caller of that role."""

    client: TestClient
    session: Session
    operator: Operator
    _tokens: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)

    def headers(self, role: str = "agent", regions: tuple[str, ...] = ()) -> dict[str, str]:
        key = (role, regions)
        if key not in self._tokens:
            username = f"{role}_{'_'.join(regions) or 'all'}"
            # argon2 is slow by design: hash once per run; log in through it only in test_auth.
            user = create_user(self.session, username=username, roles=[role], regions=list(regions))
            user.password_hash = PASSWORD_HASH
            secret, _ = issue_token(self.session, user_id=user.id)
            self.session.commit()
            self._tokens[key] = secret
        return {"Authorization": f"Bearer {self._tokens[key]}"}

    def api_key(self, name: str = "crm") -> dict[str, str]:
        create_user(self.session, username=f"sys_{name}", roles=["system"])
        secret, _ = create_api_key(self.session, name=name, username=f"sys_{name}")
        self.session.commit()
        return {"X-API-Key": secret}


@pytest.fixture
def api(session: Session, operator: Operator) -> Iterator[Api]:
    session.commit()
    with TestClient(create_app()) as client:
        yield Api(client, session, operator)


ALL_ROLES = ROLES
