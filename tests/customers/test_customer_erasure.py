"""DELETE /customer/{id}: the erasure of a customer's personal data they may ask for under PIPL
(个人信息保护法) — refused while orders need it, recorded without the data, orders kept consistent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from manyi.core.clock import now
from manyi.core.settings import reset_settings
from manyi.customers.erasure import ERASED
from manyi.customers.models import Customer, CustomerContact, CustomerErasure, Subscription
from manyi.orders import service as orders
from manyi.orders.customer_erasure import erasure_refusal
from manyi.orders.models import WorkOrder
from manyi.outbox.models import OutboxMessage
from tests.fixtures.api import Api

BASE = "/tmf-api/customerManagement/v4/customer"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"


@pytest.fixture
def no_retention(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MANYI_CUSTOMER_RETENTION_DAYS", "0")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def _close(api: Api, order: WorkOrder) -> None:
    for action, extra in (("contact", {}), ("resolve", {"resolution_code": "fixed"}), ("close", {})):
        orders.transition_order(api.session, order_id=order.id, action=action, **extra)  # type: ignore[arg-type]
    api.session.commit()


def _order(api: Api) -> WorkOrder:
    op = api.operator
    order = orders.create_order(
        api.session,
        type="inquiry",
        description="资费咨询",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
    )
    api.session.commit()
    return order


def test_erasure_is_refused_while_an_order_is_unfinished_then_while_it_is_retained(api: Api) -> None:
    op = api.operator
    order = _order(api)
    url = f"{BASE}/{op.customer.id}"
    admin = api.headers("admin")
    unfinished = api.client.delete(url, headers=admin)
    assert unfinished.status_code == 409, unfinished.text  # refused before: 405, no DELETE at all
    assert order.number in unfinished.json()["message"] and "unfinished" in unfinished.json()["message"]
    _close(api, order)
    retained = api.client.delete(url, headers=admin)
    assert retained.status_code == 409 and "180 days" in retained.json()["message"]
    assert api.client.get(url, headers=admin).json()["name"] == "张三"  # nothing erased
    assert api.session.scalars(select(CustomerErasure)).first() is None


def test_the_retention_rule_counts_from_when_the_last_order_ended(api: Api) -> None:
    order = _order(api)
    _close(api, order)
    customer = api.operator.customer.id
    assert order.closed_at is not None
    within = erasure_refusal(
        api.session, customer_id=customer, at=now() + timedelta(days=179), retention_days=180
    )
    assert within is not None and "can be erased from" in within
    after = now() + timedelta(days=181)
    assert erasure_refusal(api.session, customer_id=customer, at=after, retention_days=180) is None
    assert erasure_refusal(api.session, customer_id=customer, at=now(), retention_days=0) is None


def test_erasure_anonymises_keeps_the_orders_and_records_who_when_why(api: Api, no_retention: None) -> None:
    op = api.operator
    customer = api.session.get(Customer, op.customer.id)
    assert customer is not None
    order = _order(api)
    _close(api, order)
    number, customer_id = order.number, customer.id
    api.session.get(Subscription, op.broadband.id).address = "西湖区文三路 1 号"  # type: ignore[union-attr]
    api.session.commit()
    deleted = api.client.delete(
        f"{BASE}/{customer.id}", params={"reason": "客户来电要求注销个人信息"}, headers=api.headers("admin")
    )
    assert deleted.status_code == 204, deleted.text
    assert api.client.get(f"{BASE}/{customer.id}", headers=api.headers("admin")).status_code == 404
    assert api.client.get(BASE, headers=api.headers("admin")).headers["x-total-count"] == "0"
    assert api.client.delete(f"{BASE}/{customer.id}", headers=api.headers("admin")).status_code == 404
    api.session.expire_all()
    row = api.session.get(Customer, customer.id)
    assert row is not None and row.erased_at is not None
    assert (row.name, row.phone, row.id_number_encrypted, row.id_number_hash) == (ERASED, None, None, None)
    assert row.customer_no == "C0001"  # the number is no personal data: orders and systems refer to it
    line = api.session.get(Subscription, op.broadband.id)
    assert line is not None and (line.address, line.service_number) == (None, ERASED)
    record = api.session.scalars(select(CustomerErasure)).one()
    assert record.customer_id == customer.id and record.reason == "客户来电要求注销个人信息"
    assert record.actor_id is not None and record.at is not None
    assert record.fields == ["name", "phone", "address", "serviceNumber"]
    assert "张三" not in str(record.__dict__) and "13812345678" not in str(record.__dict__)
    api.session.rollback()  # end the read: SQLite lets one transaction write at a time
    # The order keeps its customer and its history; a ticket may no longer name the erased customer.
    ticket = api.client.get(f"{TICKETS}/{number}", headers=api.headers("admin")).json()
    party = next(p for p in ticket["relatedParty"] if p["role"] == "customer")
    assert party["id"] == str(customer_id) and party["name"] == ERASED
    new = api.client.post(
        TICKETS,
        json={
            "description": "x",
            "severity": "minor",
            "ticketType": "inquiry",
            "relatedParty": [{"id": str(customer_id), "role": "customer", "@referredType": "Customer"}],
        },
        headers=api.headers("admin"),
    )
    assert new.status_code == 400 and "does not exist" in new.json()["message"]


def test_an_organizations_contacts_are_erased_too(api: Api, no_retention: None) -> None:
    hub = api.client.post(
        "/tmf-api/customerManagement/v4/hub",
        json={"callback": "http://127.0.0.1:9/crm", "query": "eventType=CustomerDeleteEvent"},
        headers=api.headers("system"),
    )
    assert hub.status_code == 201, hub.text
    body = {
        "name": "某某集团",
        "engagedParty": {"@referredType": "Organization"},
        "relatedParty": [{"name": "赵经理", "role": "contact", "@referredType": "Individual"}],
        "region": {"id": "330106"},
    }
    cid = api.client.post(BASE, json=body, headers=api.headers()).json()["id"]
    assert api.client.delete(f"{BASE}/{cid}", headers=api.headers("system")).status_code == 204
    assert api.session.scalars(select(CustomerContact)).first() is None
    record = api.session.scalars(select(CustomerErasure)).one()
    assert record.fields == ["name", "contactPersons"] and "TMF629 DELETE" in record.reason
    # Listeners hear of it, with the erased document: the event carries no personal data either.
    event = api.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()
    assert event.topic == "CustomerDeleteEvent"
    customer = event.payload["body"]["event"]["customer"]
    assert (
        customer["name"] == ERASED and customer["relatedParty"] == [] and "赵经理" not in str(event.payload)
    )
    api.session.rollback()


def test_erasure_needs_customer_delete_and_the_customers_region(api: Api, no_retention: None) -> None:
    url = f"{BASE}/{api.operator.customer.id}"
    for role in ("agent", "supervisor", "dispatcher"):  # agents may write customers, not erase them
        assert api.client.delete(url, headers=api.headers(role)).status_code == 403, role
    assert api.client.delete(url, headers=api.headers("admin", ("330200",))).status_code == 404
    stale = api.client.delete(url, headers={**api.headers("admin"), "If-Match": '"99"'})
    assert stale.status_code == 412
    assert api.client.delete(url, headers=api.headers("admin", ("330106",))).status_code == 204
