"""The order page's transfer form offers only teams that can see the order, and a forged post naming
another region's team is refused next to the form with nothing changed."""

from __future__ import annotations

import re

from manyi.org.models import Team
from tests.console.orders.test_order_actions import act, event_count, state
from tests.fixtures.console import WEST_LAKE, Console, new_order, text_of


def _team_options(page: str) -> set[str]:
    select = page.split('id="transfer-team"', 1)[1].split("</select>", 1)[0]
    return set(re.findall(r'<option value="(\d+)"', select))


def test_transfer_form_offers_only_teams_that_cover_the_orders_region(console: Console) -> None:
    op = console.operator
    ningbo = Team(name="宁波装维班", department_id=op.field_team.department_id, region_code="330200")
    console.session.add(ningbo)
    console.session.commit()
    order = new_order(console)  # a West Lake fault: with the district's crew
    agent = console.user("agent", WEST_LAKE)
    page = agent.get(f"/orders/{order.number}").text
    assert _team_options(page) == {str(op.back_office.id)}  # not its own team, not Ningbo's

    before, events = state(console, order.id), event_count(console, order.id)
    refused = act(agent, console, order.number, order.id, "transfer", team=str(ningbo.id), reason="转宁波")
    assert refused.status_code == 422
    assert "该班组属于其他区域，看不到这张工单。请从列出的班组中选择。" in text_of(refused.text)
    assert state(console, order.id) == before and event_count(console, order.id) == events
