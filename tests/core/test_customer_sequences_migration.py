"""Migration 0011: a database the old demo filled (customer ids and numbers not taken from their
sequences) creates customers again after `manyi db upgrade`, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from manyi.core.db import make_engine
from manyi.core.migrate import upgrade
from manyi.customers.service import create_customer


def _old_demo_then_upgrade(url: str) -> None:
    upgrade("0008", url=url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO regions (code, name, level) VALUES ('330106', '西湖区', 'district')")
            )
            for cid in range(1, 26):  # as build_customers wrote them: its own ids, numbered C + id
                conn.execute(
                    text(
                        "INSERT INTO customers (id, customer_no, name, brand, vip_level, region_code, "
                        "created_at, version) VALUES (:id, :no, '演示', 'easyown', 0, '330106', "
                        "CURRENT_TIMESTAMP, 1)"
                    ),
                    {"id": cid, "no": f"C{cid:09d}"},
                )
        upgrade("head", url=url)
        with Session(engine, expire_on_commit=False) as s, s.begin():
            made = [create_customer(s, name=f"新{i}", brand="mzone", region_code="330106") for i in range(3)]
        assert [c.customer_no for c in made] == ["C000000026", "C000000027", "C000000028"]
        assert [c.id for c in made] == [26, 27, 28]
        upgrade("head", url=url)  # again: a no-op
    finally:
        engine.dispose()


def test_sequences_catch_up_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _old_demo_then_upgrade(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.fixture
def pg_database(pg_server_url: str) -> Iterator[str]:
    name = f"manyi_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{pg_server_url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_sequences_catch_up_on_postgresql(pg_database: str) -> None:
    _old_demo_then_upgrade(pg_database)
