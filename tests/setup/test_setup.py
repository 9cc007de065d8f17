"""`manyi setup`: from an empty, migrated database to one an operator can use, idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from manyi.calendars.models import Calendar, HolidayDay, HolidayYear
from manyi.categories.models import Category
from manyi.core.db import unit_of_work
from manyi.org.models import Region, User
from manyi.org.passwords import verify_password
from manyi.sla.models import SlaPolicy, SlaTarget
from tests.empty_database import empty_db, run

__all__ = ["empty_db"]
SETUP = ["setup", "--province", "湖南省", "--admin", "boss", "--password-stdin"]
TABLES = (Region, Calendar, HolidayYear, HolidayDay, SlaPolicy, SlaTarget, Category, User)


def _counts() -> dict[str, int]:
    with unit_of_work() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES}


def test_setup_then_again_changes_nothing(empty_db: str) -> None:
    assert run(["db", "upgrade"])[0] == 0
    code, output = run(SETUP, input="a-long-passw0rd\n")
    assert code == 0, output
    assert "setup done" in output
    counts = _counts()
    assert counts["regions"] == 137 and counts["calendars"] == 2 and counts["users"] == 1
    assert counts["holiday_years"] >= 20 and counts["sla_policies"] >= 5 and counts["categories"] >= 20
    with unit_of_work() as s:
        boss = s.scalars(select(User).where(User.username == "boss")).one()
        assert (
            boss.roles == ["admin"]
            and boss.regions == []
            and verify_password(boss.password_hash, "a-long-passw0rd")
        )
    code, output = run(SETUP, input="another-passw0rd\n")
    assert code == 0, output
    assert "already set up: nothing changed" in output and "password not changed" in output
    assert _counts() == counts
    with unit_of_work() as s:
        boss = s.scalars(select(User).where(User.username == "boss")).one()
        assert verify_password(boss.password_hash, "a-long-passw0rd")
    # Without --admin, once an administrator exists; a second province adds only its regions.
    code, output = run(["setup", "--province", "北京市"])
    assert code == 0, output
    assert _counts() == counts | {"regions": 137 + 17}


def test_bad_input_is_one_line_and_changes_nothing(empty_db: str) -> None:
    assert run(["db", "upgrade"])[0] == 0
    before = _counts()
    for args, stdin, expected in [
        (SETUP, "short\n", "password: The password needs at least 10 characters"),
        (
            ["setup", "--province", "湖男省", "--admin", "boss", "--password-stdin"],
            "a-long-passw0rd\n",
            "did you mean 湖南省",
        ),
        (["setup", "--province", "湖南省"], None, "there is no administrator yet"),
        (["setup", "--province", "湖南省", "--admin", "boss"], "", "a password is needed"),
    ]:
        code, output = run(args, input=stdin)
        assert code == 2 and expected in " ".join(output.split()), (args, output)
        assert "Traceback" not in output
        assert _counts() == before
    run(["setup", "--province", "湖南省", "--admin", "boss", "--password-stdin"], input="a-long-passw0rd\n")
    run(["user", "add", "wang", "--role", "agent"])
    code, output = run(
        ["setup", "--province", "湖南省", "--admin", "wang", "--password-stdin"], input="x-long-pass\n"
    )
    assert code == 2 and "exists without the admin role" in output
