"""An operator's installation from an empty database, as docs/install.md tells it: `manyi db upgrade`,
`manyi setup --province 湖南省 --admin …`, `manyi org import docs/examples/org.xlsx`, a password for
an imported agent, who then logs in to the console and opens a work order (SQLite and PostgreSQL).
And `manyi demo --if-empty` still makes the demo, through the same setup path."""

from __future__ import annotations

import re
from pathlib import Path

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.app import create_app
from manyi.console.session import LOGIN_CSRF_COOKIE
from manyi.core.db import unit_of_work
from manyi.customers.service import create_customer
from manyi.orders.models import WorkOrder
from manyi.org.models import User
from tests.demo.test_demo import WEDNESDAY_AFTERNOON
from tests.empty_database import empty_db, run

__all__ = ["empty_db"]
EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def _ok(args: list[str], input: str | None = None) -> str:
    code, output = run(args, input=input)
    assert code == 0, f"manyi {' '.join(args)}: {output}"
    return output


def test_an_operator_installs_imports_staff_and_an_agent_opens_an_order(empty_db: str) -> None:
    _ok(["db", "upgrade"])
    _ok(
        ["setup", "--province", "湖南省", "--admin", "boss", "--password-stdin"],
        input="xiangjiang-Tide-2026\n",
    )
    imported = " ".join(_ok(["org", "import", str(EXAMPLES / "org.xlsx")]).split())  # lines wrap
    assert "users: 14 created" in imported and "14 new user(s) were created without a password" in imported
    _ok(["user", "set-password", "zhangwei", "--password-stdin"], input="Yuelu-Hill-7733\n")
    with unit_of_work() as s:
        customer = create_customer(
            s, name="赵女士", brand="gotone", region_code="430102", phone="13907310001"
        )
        customer_id = customer.id
    with TestClient(create_app()) as browser:
        # The imported agent without a password cannot log in; zhangwei, given one, can.
        lina = _login(browser, "lina", "")
        assert lina.status_code != 303
        answer = _login(browser, "zhangwei", "Yuelu-Hill-7733")
        assert answer.status_code == 303, answer.text
        page = browser.get(f"/workbench/new?customer={customer_id}")
        assert page.status_code == 200 and 'name="region" value="430102"' in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        saved = browser.post(
            "/workbench/new",
            data={
                "csrf_token": csrf.group(1),
                "customer": str(customer_id),
                "idempotency_key": "install-1",
                "type": "fault",
                "category": "NET.BB",
                "channel": "hotline",
                "priority": "2",
                "severity": "major",
                "region": "430102",
                "description": "宽带无法上网",
                "intent": "save",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        number = saved.headers["location"].rsplit("/", 1)[1]
        order_page = browser.get(f"/orders/{number}")
        assert (
            order_page.status_code == 200 and number in order_page.text and "宽带无法上网" in order_page.text
        )
    with unit_of_work() as s:
        order = s.scalars(select(WorkOrder).where(WorkOrder.number == number)).one()
        zhangwei = s.scalars(select(User).where(User.username == "zhangwei")).one()
        assert order.owner_id == zhangwei.id and order.region_code == "430102"
        assert order.status == "acknowledged" and order.category_id is not None


def _login(browser: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    browser.get("/login")
    token = browser.cookies.get(LOGIN_CSRF_COOKIE)
    return browser.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": ""},
        follow_redirects=False,
    )


@time_machine.travel(WEDNESDAY_AFTERNOON, tick=True)
def test_make_demo_still_works_and_a_second_run_says_so(empty_db: str) -> None:
    _ok(["db", "upgrade"])
    made = _ok(["demo", "--if-empty", "--customers", "50", "--orders", "30"])
    assert "demo operator ready" in made and "auditor1" in made and "manager1" in made
    assert "already present; nothing to do" in _ok(["demo", "--if-empty"])
    code, output = run(["demo", "--customers", "50", "--orders", "30"])
    assert code == 2 and "Traceback" not in output and "IntegrityError" not in output
    assert "the database already has 30 work orders" in output and "--if-empty" in output
    again = _ok(["setup", "--province", "浙江省"])  # the demo went through setup: nothing is missing
    assert "already set up: nothing changed" in again
    with unit_of_work() as s:
        manager = s.scalars(select(User).where(User.username == "manager1")).one()
        assert manager.roles == ["branch_manager"]  # no pii:read: the README says phones are masked
