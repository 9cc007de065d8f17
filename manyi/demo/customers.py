"""The demo operator's customers and subscriptions, inserted in bulk."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from faker import Faker
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from manyi.core.clock import now
from manyi.core.crypto import encrypt, keyed_hash
from manyi.core.db import is_postgres
from manyi.core.sequences import reserve_values
from manyi.customers.models import Customer, CustomerEvent, Subscription
from manyi.customers.service import CUSTOMER_NUMBERS
from manyi.org.models import Region

BRAND_WEIGHTS = {"gotone": 0.2, "mzone": 0.35, "easyown": 0.45}  # 全球通, 动感地带, 神州行


def build_customers(
    session: Session,
    fake: Faker,
    rng: random.Random,
    *,
    count: int,
    districts: list[Region],
    listed_by: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert count customers with 1-3 subscriptions each (mobile always; broadband, IPTV often).
    A few are on the red or blue list, put there by `listed_by` (a supervisor) with a reason, as
    their history says: list changes are audited."""
    reasons = {"red": "省公司重要客户，资料变更需稽核", "blue": "半年内无理重复投诉，按蓝名单管理"}
    listed_at = now()
    brands, weights = list(BRAND_WEIGHTS), list(BRAND_WEIGHTS.values())
    batch = 2000
    next_id = (session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1)) or 0) + 1
    for start in range(0, count, batch):
        customers: list[dict[str, Any]] = []
        subscriptions: list[dict[str, Any]] = []
        # From the sequence create_customer numbers from: a number made up here (say C + id) would be
        # handed out again to the next customer created through the API.
        size = min(count, start + batch) - start
        numbers = iter(reserve_values(session, CUSTOMER_NUMBERS, size))
        ids = iter(
            _ids(session, size) if is_postgres(session) else range(next_id + start, next_id + start + size)
        )
        for _ in range(size):
            cid = next(ids)
            brand = rng.choices(brands, weights)[0]
            district = rng.choice(districts)
            phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            id_number = fake.ssn()
            customers.append(
                {
                    "id": cid,
                    "customer_no": f"C{next(numbers):09d}",
                    "name": fake.name(),
                    "phone": phone,
                    "id_number_encrypted": encrypt(id_number),
                    "id_number_hash": keyed_hash(id_number),
                    "brand": brand,
                    "vip_level": rng.choices([0, 1, 2, 3], [0.7, 0.18, 0.09, 0.03])[0]
                    if brand == "gotone"
                    else 0,
                    "list_flag": rng.choices([None, "red", "blue"], [0.985, 0.01, 0.005])[0],
                    "region_code": district.code,
                    "version": 1,
                }
            )
            address = f"{district.name}{fake.street_name()}{rng.randint(1, 300)}号{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(101, 2802)}室"
            subscriptions.append(
                {
                    "customer_id": cid,
                    "product": "mobile",
                    "service_number": phone,
                    "address": None,
                    "status": "active",
                }
            )
            if rng.random() < 0.45:
                subscriptions.append(
                    {
                        "customer_id": cid,
                        "product": "broadband",
                        "service_number": f"KD{cid:010d}",
                        "address": address,
                        "status": "active",
                    }
                )
                if rng.random() < 0.5:
                    subscriptions.append(
                        {
                            "customer_id": cid,
                            "product": "iptv",
                            "service_number": f"TV{cid:010d}",
                            "address": address,
                            "status": "active",
                        }
                    )
        session.execute(insert(Customer), customers)
        session.execute(insert(Subscription), subscriptions)
        listed = [
            {
                "customer_id": c["id"],
                "at": listed_at,
                "actor_id": listed_by,
                "action": "updated",
                "changes": [{"field": "list_flag", "before": None, "after": c["list_flag"]}],
                "note": reasons[c["list_flag"]],
            }
            for c in customers
            if c["list_flag"]
        ]
        if listed:
            session.execute(insert(CustomerEvent), listed)
        if progress is not None:
            progress(len(customers))


def _ids(session: Session, count: int) -> list[int]:
    """Ids from the table's own sequence (PostgreSQL): ids chosen here would leave it behind, and the
    next customer created through the API would be given the first demo customer's id."""
    rows = session.execute(
        text("SELECT nextval(pg_get_serial_sequence('customers', 'id')) FROM generate_series(1, :n)"),
        {"n": count},
    )
    return sorted(int(v) for (v,) in rows)
