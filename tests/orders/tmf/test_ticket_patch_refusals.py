"""TMF621 PATCH refuses what it would otherwise ignore: the owner, the creator and the customer of a
ticket are read-only (400, nothing changed); an echo of the current parties plus an assignee works.
And a transfer to a team that cannot see the ticket is 422, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from manyi.org.models import Team
from tests.fixtures.api import Api
from tests.orders.tmf.test_tickets import BASE, new_ticket, patch


def _get(api: Api, tid: str) -> dict[str, Any]:
    response = api.client.get(f"{BASE}/{tid}", headers=api.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "tech1"}, "owner"),
        ({"ownerId": "7"}, "ownerId"),
        ({"createdBy": "tech1"}, "createdBy"),
        ({"assignedTo": "tech1"}, "assignedTo"),  # not a field at all: refused, not ignored
        ({"relatedParty": [{"id": "tech1", "role": "owner"}]}, "relatedParty"),
        ({"relatedParty": [{"id": "tech1", "role": "Owner", "@referredType": "Individual"}]}, "relatedParty"),
        ({"relatedParty": [{"id": "99", "role": "customer"}]}, "relatedParty"),
        ({"relatedParty": [{"id": "99", "@referredType": "Customer"}]}, "relatedParty"),
        ({"relatedParty": [{"id": "tech1", "role": "reviewer"}]}, "relatedParty"),
        ({"relatedParty": [{"id": "tech1"}]}, "relatedParty"),
    ],
)
def test_read_only_party_fields_are_400_and_change_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    tid = new_ticket(api).json()["id"]
    before = _get(api, tid)
    # Combined with a legitimate change, which must not happen either.
    response = patch(api, tid, {**body, "description": "改过的描述"})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["message"].startswith(field), error
    assert _get(api, tid) == before


def test_owner_message_says_what_is_read_only(api: Api) -> None:
    tid = new_ticket(api).json()["id"]
    response = patch(api, tid, {"relatedParty": [{"id": "tech1", "role": "owner"}]})
    message = response.json()["message"]
    assert "owner" in message and "read-only" in message and "agent_all" in message and "tech1" in message


def test_echoing_the_current_parties_with_a_new_assignee_is_accepted(api: Api) -> None:
    """A client that GETs, edits and PATCHes back the whole relatedParty list is not refused."""
    tid = new_ticket(api).json()["id"]
    parties = _get(api, tid)["relatedParty"]
    assert {p["role"] for p in parties} == {"customer", "owner"}
    tech = api.operator.techs[0].username
    wanted = [*parties, {"id": tech, "role": "assignee", "@referredType": "Individual"}]
    response = patch(api, tid, {"relatedParty": wanted})
    assert response.status_code == 200, response.text
    roles = {p["role"]: p["id"] for p in response.json()["relatedParty"]}
    assert roles == {"customer": str(api.operator.customer.id), "owner": "agent_all", "assignee": tech}


def test_transfer_to_a_team_that_cannot_see_the_ticket_is_400_and_changes_nothing(api: Api) -> None:
    ningbo = Team(
        name="宁波装维班", department_id=api.operator.field_team.department_id, region_code="330200"
    )
    api.session.add(ningbo)
    api.session.commit()
    tid = new_ticket(api).json()["id"]  # of a West Lake customer
    before = _get(api, tid)
    response = patch(api, tid, {"team": {"id": str(ningbo.id)}, "description": "改过的描述"})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["message"].startswith(f"team: team {ningbo.id} (宁波装维班) works in region 330200")
    assert "cannot see orders of region 330106" in error["message"]
    assert _get(api, tid) == before
    office = patch(api, tid, {"team": {"id": str(api.operator.back_office.id)}})
    assert office.status_code == 200 and office.json()["team"]["id"] == str(api.operator.back_office.id)
