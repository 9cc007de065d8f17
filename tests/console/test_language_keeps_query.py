"""Issue 12, bug 2: the language link keeps the page's query string (filters, the customer a new
order was opened for)."""

from __future__ import annotations

from urllib.parse import quote

from tests.fixtures.console import WEST_LAKE, Console


def test_language_link_carries_the_query_string(console: Console) -> None:
    boss = console.user("supervisor")
    page = boss.get("/orders?type=complaint&status=acknowledged").text
    assert "/lang/en?next=" + quote("/orders?type=complaint&status=acknowledged", safe="/") in page
    switched = boss.get("/lang/en?next=" + quote("/orders?type=complaint&status=acknowledged", safe="/"))
    assert switched.headers["location"] == "/orders?type=complaint&status=acknowledged"


def test_workbench_customer_survives_the_switch(console: Console) -> None:
    agent = console.user("agent", WEST_LAKE)
    customer = console.operator.customer.id
    page = agent.get(f"/workbench/new?customer={customer}").text
    assert "/lang/en?next=" + quote(f"/workbench/new?customer={customer}", safe="/") in page
    refused = agent.post("/workbench/new", {"customer": str(customer), "title": ""}).text
    assert "/lang/en?next=" + quote(f"/workbench/new?customer={customer}", safe="/") in refused
