"""DOMAIN.md: a channel partner (代销点) sees its own orders on the workbench too: the customer panel
lists none of the customer's other orders, and "my orders" are the ones the shop opened itself."""

from __future__ import annotations

from tests.fixtures.console import Console
from tests.fixtures.partners import partner_world


def test_the_customer_panel_shows_a_partner_none_of_the_customers_other_orders(console: Console) -> None:
    w = partner_world(console)
    staff, own, other, given = w.staff, w.own, w.other, w.given
    panel = staff.get(f"/workbench/customer/{console.operator.customer.id}")
    assert panel.status_code == 200
    assert own in panel.text and given in panel.text and other not in panel.text
    home = staff.get("/workbench").text  # "my orders": the ones it opened itself
    assert own in home and other not in home
