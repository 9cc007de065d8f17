"""Every role against every console page: the menu a role sees and the pages it may open agree, and a
page missing from a role's menu refuses it (403) — hiding a link is never the only control."""

from __future__ import annotations

import pytest

from manyi.auth.permissions import ROLES
from manyi.console.navigation import ENTRIES, menu
from manyi.console.session import CSRF_FIELD
from tests.fixtures.console import Console


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_of_its_menu(console: Console, role: str) -> None:
    staff = console.user(role)
    allowed = {e.url for e in menu(_principal(console, staff.user.id))}
    for entry in ENTRIES:
        response = staff.get(entry.url)
        expected = 200 if entry.url in allowed else 403
        assert response.status_code == expected, f"{role} GET {entry.url}: {response.status_code}"
        if expected == 200:
            for other in ENTRIES:
                shown = f'href="{other.url}"' in response.text.split("</nav>")[0]
                assert shown == (other.url in allowed), f"{role} menu on {entry.url}: {other.url}"


def test_a_forged_post_without_the_form_token_changes_nothing(console: Console) -> None:
    agent = console.user("agent")
    forged = agent.client.post("/logout", data={CSRF_FIELD: "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    assert agent.get("/account").status_code == 200


def _principal(console: Console, user_id: int):  # type: ignore[no-untyped-def]
    from manyi.auth.service import _principal as principal_of

    principal = principal_of(console.session, user_id)
    console.session.rollback()
    return principal
