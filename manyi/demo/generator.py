"""`manyi demo`: a realistic demo operator, generated with Faker (zh_CN), its orders written in bulk."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker
from sqlalchemy import func, select

from manyi.bulk.writer import write_orders
from manyi.calendars.service import get_calendar
from manyi.core.clock import now
from manyi.core.db import session_factory, unit_of_work
from manyi.core.errors import Conflict
from manyi.demo.customers import build_customers
from manyi.demo.orders import order_specs
from manyi.demo.organisation import build_organisation
from manyi.orders.models import WorkOrder
from manyi.org.models import Department, User
from manyi.org.regions import seed_regions
from manyi.setup.service import seed_reference_data
from manyi.sla.tasks import sweep_due_clocks


@dataclass
class DemoReport:
    customers: int
    orders: int
    staff: int


def has_orders() -> bool:
    with session_factory()() as session:
        return bool(session.scalar(select(func.count()).select_from(WorkOrder)))


def check_room_for_demo() -> None:
    """Refuse (one clear sentence) a database that already has orders or an organisation: the demo
    adds its own staff, teams and orders to the setup's reference data, never over someone's."""
    with session_factory()() as session:
        orders = session.scalar(select(func.count()).select_from(WorkOrder)) or 0
        departments = session.scalar(select(func.count()).select_from(Department)) or 0
        taken = session.scalars(select(User.username).where(User.username == "admin")).first()
    if orders or departments or taken:
        have = f"{orders} work orders, {departments} departments" + (", a user 'admin'" if taken else "")
        raise Conflict(
            f"the database already has {have}: the demo needs a database of its own "
            "(e.g. `DEMO_DB=sqlite:///./demo.db make demo`); `manyi demo --if-empty` leaves one with orders alone"
        )


def generate(
    *,
    customers: int = 20_000,
    orders: int = 5_000,
    seed: int = 2026,
    province: str = "浙江省",
    on_stage: Callable[[str, int], Callable[[int], None]] | None = None,
) -> DemoReport:
    """Create the demo operator in the configured database (which must be migrated and empty)."""
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    started = now()

    def stage(name: str, total: int) -> Callable[[int], None]:
        return on_stage(name, total) if on_stage else (lambda _n: None)

    check_room_for_demo()
    with session_factory()() as session:
        # The same reference data `manyi setup` loads, from the same function.
        seed_reference_data(session, provinces=[province])
        regions = seed_regions(session, province=province)  # loaded just above: only reads them back
        org = build_organisation(session, fake, regions=regions)
        session.commit()
        districts = [r for ds in org.districts.values() for r in ds]
        build_customers(
            session,
            fake,
            rng,
            count=customers,
            districts=districts,
            listed_by=next(u.id for u in org.users if u.username == "supervisor1"),
            progress=stage("customers 客户", customers),
        )
        session.commit()
        office = get_calendar(session, name="office")
        specs = order_specs(session, rng=rng, org=org, office=office, count=orders, now=started)
        # The bulk writer leaves the clocks as the worker's sweeps up to `started` would have.
        write_orders(session, specs, now=started, progress=stage("work orders 工单", orders))
        session.commit()
        staff = len(org.users)
    # Catch up with the minutes generation took, as the worker would (its messages go out with it).
    while True:
        with unit_of_work() as session:
            if sweep_due_clocks(session, at=now(), limit=2000) < 2000:
                break
    return DemoReport(customers=customers, orders=orders, staff=staff)
