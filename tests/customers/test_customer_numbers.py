"""Customer numbers survive the demo, imports and callers' own numbers: creating a customer without
`engagedParty.id` after any of them is 201 with a fresh number, also with creators in parallel."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from manyi.app import create_app
from manyi.auth.service import issue_token
from manyi.customers import service
from manyi.customers.models import Customer
from manyi.demo.generator import generate
from manyi.org.service import create_user
from tests.fixtures.operator import Operator

BASE = "/tmf-api/customerManagement/v4/customer"


def _body(name: str, number: str | None = None) -> dict[str, Any]:
    party: dict[str, Any] = {"name": name, "@referredType": "Individual"}
    if number is not None:
        party["id"] = number
    return {"name": name, "engagedParty": party, "region": {"id": "330106"}}


def test_creating_customers_after_the_demo_gives_fresh_numbers(engine: Engine) -> None:
    report = generate(customers=30, orders=10, seed=3)
    with Session(engine) as s:
        demo_numbers = set(s.scalars(select(Customer.customer_no)))
        assert len(demo_numbers) == report.customers
        user = create_user(s, username="crm_agent", roles=["agent"], regions=[])
        secret, _ = issue_token(s, user_id=user.id)
        s.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app()) as client:
        made = []
        for i in range(5):
            response = client.post(BASE, json=_body(f"新客户{i}"), headers=headers)
            assert response.status_code == 201, response.text
            made.append(response.json()["engagedParty"]["id"])
    assert len(set(made)) == 5 and not set(made) & demo_numbers


def test_numbers_written_outside_the_sequence_are_skipped(session: Session, operator: Operator) -> None:
    # An import (or an older demo) that wrote numbers of the sequence's form without taking them.
    session.execute(
        insert(Customer),
        [
            {"customer_no": f"C{n:09d}", "name": f"导入{n}", "brand": "easyown", "region_code": "330106"}
            for n in range(1, 41)
        ],
    )
    session.commit()
    first = service.create_customer(session, name="新客户", brand="mzone", region_code="330106")
    assert first.customer_no == "C000000041"
    session.commit()  # the sequence moved on for good, not only inside a transaction
    assert service.create_customer(
        session, name="又一个", brand="mzone", region_code="330106"
    ).customer_no == ("C000000042")
    # A caller's own number of the same form moves the sequence past it too.
    service.create_customer(
        session, name="带号客户", brand="mzone", region_code="330106", customer_no="C000000500"
    )
    after = service.create_customer(session, name="其后", brand="mzone", region_code="330106")
    assert after.customer_no == "C000000501"
    # Other forms are the caller's business and leave the sequence alone.
    service.create_customer(session, name="外部", brand="mzone", region_code="330106", customer_no="BOSS-9")
    assert service.create_customer(session, name="再后", brand="mzone", region_code="330106").customer_no == (
        "C000000502"
    )


def test_parallel_creators_never_collide(engine: Engine, operator: Operator, session: Session) -> None:
    session.execute(
        insert(Customer),
        [
            {"customer_no": f"C{n:09d}", "name": f"导入{n}", "brand": "easyown", "region_code": "330106"}
            for n in range(1, 21)
        ],
    )
    session.commit()
    factory = sessionmaker(engine, expire_on_commit=False)
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def creator(k: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with factory() as s:
                    customer = service.create_customer(
                        s, name=f"并发{k}-{i}", brand="mzone", region_code="330106"
                    )
                    s.commit()
                    numbers.append(customer.customer_no)
        except BaseException as exc:  # reported below, with the numbers made so far
            errors.append(exc)

    threads = [threading.Thread(target=creator, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(numbers) == len(set(numbers)) == 80
    assert all(n > "C000000020" for n in numbers)


@pytest.mark.parametrize("number", ["C000000001", "C123456789012345678"])
def test_an_existing_number_given_by_the_caller_is_still_refused(
    session: Session, operator: Operator, number: str
) -> None:
    service.create_customer(session, name="甲", brand="mzone", region_code="330106", customer_no=number)
    with pytest.raises(service.ValidationFailed, match="already exists"):
        service.create_customer(session, name="乙", brand="mzone", region_code="330106", customer_no=number)
