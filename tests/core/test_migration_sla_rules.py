"""Migration 0012 on SQLite and PostgreSQL: the shipped SLA defaults become seed 004's where the
operator left them as shipped, edited ones stay and are named in the log, settled outcomes are
filled in for clocks already decided, and the daily sums are emptied to be summed again."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.orm import Session

from manyi.core.db import UTCDateTime, make_engine
from manyi.core.migrate import upgrade

OLD = [
    ("first_contact", 2, "working_hours"),
    ("appointment", 24, "natural_hours"),
    ("resolution", 3, "working_days"),
]
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

clocks = sa.table(
    "sla_clocks",
    *(sa.column(n) for n in ("order_id", "kind", "policy_id", "calendar_name", "amount", "unit", "state")),
    *(sa.column(n) for n in ("warning_share", "budget_seconds", "pauses", "breached", "provisional")),
    sa.column("escalation_level"),
    *(sa.column(n, UTCDateTime()) for n in ("started_at", "due_at", "warn_at", "met_at")),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"manyi_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _policy(conn: sa.Connection, name: str, types: list[str], targets: list[tuple[str, float, str]]) -> int:
    policy_id = conn.execute(
        text(
            "INSERT INTO sla_policies (name, rank, order_types, warning_share, active, version)"
            " VALUES (:n, 100, :t, 0.8, true, 1) RETURNING id"
        ),
        {"n": name, "t": json.dumps(types)},
    ).scalar_one()
    for kind, amount, unit in targets:
        conn.execute(
            text("INSERT INTO sla_targets (policy_id, kind, amount, unit) VALUES (:p, :k, :a, :u)"),
            {"p": policy_id, "k": kind, "a": amount, "u": unit},
        )
    return int(policy_id)


def _targets(s: Session, name: str) -> tuple[list[str], set[tuple[str, float, str]], int]:
    row = s.execute(
        text("SELECT id, order_types, version FROM sla_policies WHERE name = :n"), {"n": name}
    ).one()
    types = row.order_types if isinstance(row.order_types, list) else json.loads(row.order_types)
    found = s.execute(text("SELECT kind, amount, unit FROM sla_targets WHERE policy_id = :p"), {"p": row.id})
    return types, {(k, float(a), u) for k, a, u in found}, row.version


def test_seed004_defaults_replace_the_untouched_shipped_policies_and_leave_edited_ones(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade("0008", url=url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO regions (code, name, level) VALUES ('330106', '西湖区', 'district')")
            )
            conn.execute(text("INSERT INTO departments (id, name, kind) VALUES (1, '装维中心', 'field_own')"))
            conn.execute(text("INSERT INTO teams (id, name, department_id) VALUES (7, '西湖装维班', 1)"))
            fault = _policy(conn, "故障 fault", ["fault"], OLD)
            _policy(
                conn, "装机 install", ["install"], [*OLD[:2], ("resolution", 5, "working_days")]
            )  # edited
            _policy(conn, "拆移机 remove/move", ["remove", "move"], OLD)
            _policy(conn, "投诉 complaint", ["complaint"], [("resolution", 15, "natural_days")])
            order = conn.execute(
                text(
                    "INSERT INTO work_orders (number, type, channel, priority, severity, status, stage,"
                    " description, region_code, team_id, reopen_count, contact_attempts, sla_provisional,"
                    " created_at, updated_at, version) VALUES ('GD20261123000001', 'fault', 'hotline', 3,"
                    " 'minor', 'inProgress', 'contacted', 'x', '330106', 7, 0, 0, false, :t, :t, 1) RETURNING id"
                ),
                {"t": T0.replace(tzinfo=None)},
            ).scalar_one()
            base = dict(
                order_id=order, policy_id=fault, calendar_name="office", amount=2, unit="working_hours",
                warning_share=0.8, budget_seconds=7200, pauses="[]", provisional=False, escalation_level=0,
                started_at=T0, due_at=T0 + timedelta(hours=2), warn_at=T0 + timedelta(hours=1),
            )  # fmt: skip
            conn.execute(
                sa.insert(clocks),
                [
                    {**base, "kind": "first_contact", "state": "met", "breached": False, "met_at": T0 + timedelta(hours=1)},
                    {**base, "kind": "appointment", "state": "running", "breached": True, "met_at": None},
                    {**base, "kind": "resolution", "state": "running", "breached": False, "met_at": None},
                ],
            )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO timeliness_days (day, team_id, region_code, kind, settled, on_time)"
                    " VALUES ('2026-11-22', 7, '330106', 'first_contact', 3, 2)"
                )
            )
        with caplog.at_level(logging.WARNING, logger="manyi.migrations"):
            upgrade("head", url=url)

        with Session(engine) as s:
            assert _targets(s, "故障 fault")[1:] == (
                {("first_contact", 2.0, "working_hours"), ("resolution", 3.0, "working_days")},
                2,
            )  # no 24-hour appointment clock for faults, and a new version (ETag)
            assert _targets(s, "装机 install")[1] == {*OLD[:2], ("resolution", 5.0, "working_days")}
            assert _targets(s, "拆机 remove")[:2] == (
                ["remove"],
                {("extraction", 2.0, "natural_hours"), ("appointment", 24.0, "natural_hours"), ("resolution", 3.0, "working_days")},
            )  # fmt: skip
            assert _targets(s, "移机 move")[:2] == (
                ["move"],
                {
                    ("extraction", 2.0, "natural_hours"),
                    ("appointment", 24.0, "natural_hours"),
                    ("installation", 3.0, "working_days"),
                    ("resolution", 3.0, "natural_days"),
                },
            )
            assert _targets(s, "投诉 complaint")[1:] == ({("resolution", 15.0, "natural_days")}, 1)
            assert s.scalar(text("SELECT count(*) FROM sla_policies WHERE name = '拆移机 remove/move'")) == 0
            settled = {
                kind: (on_time, team)
                for kind, on_time, team in s.execute(
                    text(
                        "SELECT kind, settled_on_time, credited_team_id FROM sla_clocks WHERE settled_at IS NOT NULL"
                    )
                )
            }
            assert {k: (bool(v[0]), v[1]) for k, v in settled.items()} == {
                "first_contact": (True, 7),
                "appointment": (False, 7),
            }
            assert s.scalar(text("SELECT count(*) FROM timeliness_days")) == 0
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "'装机 install' was edited" in logged and "left as it is" in logged
        assert "'故障 fault': targets set" in logged and "split into '拆机 remove'" in logged
    finally:
        engine.dispose()
