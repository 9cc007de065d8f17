"""What a calendar change does to open orders (manyi.sla.recompute), on SQLite and PostgreSQL: a
deadline moves only when its rule gives a new instant, each move is an event in the order's history
saying why, an unmoved clock is not written, a second override of a date is an explicit replace, and
reloading a year moves every clock it reaches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from manyi.calendars.models import Calendar, CalendarOverride
from manyi.calendars.service import OverrideExists
from manyi.orders import service
from manyi.orders.history import order_history
from manyi.orders.models import OrderEvent, WorkOrder
from manyi.sla.models import SlaClock
from manyi.sla.recompute import (
    calendar_override_flow,
    calendar_override_remove_flow,
    calendar_year_load_flow,
)
from manyi.sla.service import order_clocks
from tests.fixtures.operator import Operator

CST = timezone(timedelta(hours=8))
# The demo's case: a complaint opened on Thursday 3 December with a fraction of a second.
OPENED = datetime(2026, 12, 3, 10, 23, 45, 740000, tzinfo=CST)
YEAR_2027 = "holidays:\n  - {name: 元旦, start: 2027-01-01, end: 2027-01-03}\n"


def complaint(session: Session, op: Operator, at: datetime = OPENED) -> WorkOrder:
    return service.create_order(
        session,
        type="complaint",
        description="宽带资费投诉",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        actor_id=op.agent.id,
        at=at,
    )


def fault(session: Session, op: Operator, at: datetime) -> WorkOrder:
    return service.create_order(
        session,
        type="fault",
        description="宽带无法上网",
        channel="hotline",
        region_code="330106",
        customer_id=op.customer.id,
        subscription_id=op.broadband.id,
        actor_id=op.agent.id,
        at=at,
    )


def clocks(session: Session, order: WorkOrder) -> dict[str, SlaClock]:
    return {c.kind: c for c in order_clocks(session, order_id=order.id)}


def moves(session: Session, order: WorkOrder) -> list[tuple[str, dict[str, Any], dict[str, Any], int | None]]:
    """The order's sla_recomputed events: (clock, why, the due_at change, actor)."""
    out = []
    for e in order_history(session, order_id=order.id):
        if e.action == "sla_recomputed":
            why = json.loads(e.note or "{}")
            (change,) = e.changes
            out.append((why.pop("clock"), why, change, e.actor_id))
    return out


@contextmanager
def clock_updates(session: Session) -> Iterator[list[Any]]:
    """The rows of sla_clocks the session updates: one parameter set per row written."""
    seen: list[Any] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE SLA_CLOCKS"):
            seen.extend(parameters if many else [parameters])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_override_on_unrelated_date_leaves_natural_day_deadline_exact(
    session: Session, operator: Operator
) -> None:
    order = complaint(session, operator)
    before = clocks(session, order)
    assert before["resolution"].calendar_name == "office"
    assert before["resolution"].due_at == datetime(2026, 12, 19, 0, 0, tzinfo=CST)  # 24:00 of 18 December
    assert before["response"].due_at == datetime(2026, 12, 7, 18, 0, tzinfo=CST)  # 2 working days
    session.commit()

    with clock_updates(session) as updates:
        saved = calendar_override_flow(
            session,
            calendar_name="office",
            day=date(2026, 12, 5),
            working=True,
            reason="加班",
            actor_id=operator.agent.id,
        )
        session.flush()
    after = clocks(session, order)
    assert after["resolution"].due_at == datetime(2026, 12, 19, 0, 0, tzinfo=CST)  # exactly, to the µs
    assert after["resolution"].warn_at == before["resolution"].warn_at
    # Saturday 5 December is a working day now: the second working day is Monday 7th -> Saturday 5th.
    assert after["response"].due_at == datetime(2026, 12, 5, 18, 0, tzinfo=CST)
    assert (saved.recomputed.checked, saved.recomputed.moved) == (2, 1)  # both cross the date, one moved
    assert moves(session, order) == [
        (
            "response",
            {"change": "override", "calendar": "office", "date": "2026-12-05"},
            {
                "field": "due_at",
                "before": datetime(2026, 12, 7, 10, 0, tzinfo=UTC).isoformat(),
                "after": datetime(2026, 12, 5, 10, 0, tzinfo=UTC).isoformat(),
            },
            operator.agent.id,
        )
    ]
    # One row written: the moved response clock; the resolution clock, looked at, was not.
    assert len(updates) == 1


def test_a_recompute_that_moves_nothing_writes_nothing(session: Session, operator: Operator) -> None:
    order = complaint(session, operator)
    session.commit()
    with clock_updates(session) as updates:
        # A Sunday after every deadline of the order: its clocks do not reach it.
        saved = calendar_override_flow(session, calendar_name="office", day=date(2027, 1, 10), working=True)
        session.flush()
    assert saved.changed and saved.recomputed.moved == 0 and updates == []
    assert moves(session, order) == []


def test_removing_an_override_moves_the_deadline_back_and_says_so(
    session: Session, operator: Operator
) -> None:
    order = fault(session, operator, datetime(2026, 11, 20, 17, 30, tzinfo=CST))  # Friday evening
    first_due = clocks(session, order)["first_contact"].due_at
    assert first_due == datetime(2026, 11, 23, 10, 30, tzinfo=CST)
    calendar_override_flow(session, calendar_name="office", day=date(2026, 11, 21), working=True)
    assert clocks(session, order)["first_contact"].due_at == datetime(2026, 11, 21, 10, 30, tzinfo=CST)
    removed = calendar_override_remove_flow(session, calendar_name="office", day=date(2026, 11, 21))
    assert removed.before == {"working": True, "intervals": None, "reason": ""}
    assert clocks(session, order)["first_contact"].due_at == first_due
    recorded = [(clock, why["change"]) for clock, why, _change, _actor in moves(session, order)]
    # first contact (working hours) and resolution (working days) cross the Saturday; the appointment
    # (24 natural hours) does not move.
    assert sorted(recorded) == [
        ("first_contact", "override"),
        ("first_contact", "override_removed"),
        ("resolution", "override"),
        ("resolution", "override_removed"),
    ]


def test_a_second_override_on_a_date_is_an_explicit_replace(session: Session, operator: Operator) -> None:
    order = fault(session, operator, datetime(2026, 11, 20, 17, 30, tzinfo=CST))
    calendar_override_flow(
        session, calendar_name="office", day=date(2026, 11, 21), working=True, reason="调休"
    )
    session.commit()
    version = session.get(Calendar, "office").version  # type: ignore[union-attr]
    due = clocks(session, order)["first_contact"].due_at
    with pytest.raises(
        OverrideExists, match=r"already has a special date on 2026-11-21 \(working, usual hours"
    ):
        calendar_override_flow(session, calendar_name="office", day=date(2026, 11, 21), working=False)
    session.rollback()
    row = session.scalars(select(CalendarOverride)).one()
    assert (row.working, row.reason) == (True, "调休")
    assert session.get(Calendar, "office").version == version  # type: ignore[union-attr]
    # The same override again is no change at all.
    same = calendar_override_flow(
        session, calendar_name="office", day=date(2026, 11, 21), working=True, reason="调休"
    )
    assert not same.changed and not same.replaced and same.recomputed.checked == 0
    assert session.get(Calendar, "office").version == version  # type: ignore[union-attr]
    replaced = calendar_override_flow(
        session,
        calendar_name="office",
        day=date(2026, 11, 21),
        working=True,
        intervals=[(600, 660)],
        reason="半天",
        replace=True,
    )
    assert replaced.replaced and replaced.before == {"working": True, "intervals": None, "reason": "调休"}
    assert (replaced.override.intervals, replaced.override.reason) == ([[600, 660]], "半天")
    # 17:30-18:00 Friday, 10:00-11:00 Saturday, then 09:00-09:30 Monday.
    assert clocks(session, order)["first_contact"].due_at == datetime(2026, 11, 23, 9, 30, tzinfo=CST) != due
    assert ("first_contact", "override_replaced") in [
        (c, w["change"]) for c, w, _, _ in moves(session, order)
    ]


def test_reloading_a_year_moves_every_clock_it_reaches_not_only_provisional_ones(
    session: Session, operator: Operator
) -> None:
    first = calendar_year_load_flow(session, year=2027, text=YEAR_2027, filename="2027.yaml")
    assert not first.replaced and date(2027, 1, 1) in first.changed_days
    order = fault(session, operator, datetime(2027, 1, 4, 17, 0, tzinfo=CST))  # Monday
    resolution = clocks(session, order)["resolution"]
    assert not resolution.provisional  # 2027 is loaded: nothing provisional to find
    assert resolution.due_at == datetime(2027, 1, 7, 18, 0, tzinfo=CST)  # Tue, Wed, Thu
    corrected = YEAR_2027 + "  - {name: 补休, start: 2027-01-06, end: 2027-01-06}\n"
    again = calendar_year_load_flow(session, year=2027, text=corrected, filename="2027.yaml")
    assert again.replaced and again.changed_days == frozenset({date(2027, 1, 6)})
    assert clocks(session, order)["resolution"].due_at == datetime(2027, 1, 8, 18, 0, tzinfo=CST)
    assert ("resolution", {"change": "schedule", "year": "2027"}) in [
        (c, w) for c, w, _, _ in moves(session, order)
    ]
    # The same file once more changes no date, so no clock is even looked at.
    unchanged = calendar_year_load_flow(session, year=2027, text=corrected, filename="2027.yaml")
    assert unchanged.changed_days == frozenset() and unchanged.recomputed.checked == 0


def test_a_newly_loaded_year_clears_the_provisional_flag(session: Session, operator: Operator) -> None:
    order = fault(session, operator, datetime(2026, 12, 31, 17, 0, tzinfo=CST))
    assert order.sla_provisional and clocks(session, order)["first_contact"].provisional
    version = order.version
    loaded = calendar_year_load_flow(session, year=2027, text=YEAR_2027, filename="2027.yaml")
    assert loaded.recomputed.checked == 2  # a fault's clocks: first contact and resolution
    session.expire_all()
    refreshed = session.get(WorkOrder, order.id)
    assert refreshed is not None and not refreshed.sla_provisional
    assert refreshed.version == version  # a summary of the clocks, not an edit of the order
    assert not any(c.provisional for c in clocks(session, refreshed).values())
    assert clocks(session, refreshed)["first_contact"].due_at == datetime(2027, 1, 4, 10, 0, tzinfo=CST)
    events = session.scalars(select(OrderEvent).where(OrderEvent.action == "sla_recomputed")).all()
    assert {json.loads(e.note or "")["clock"] for e in events} == {"first_contact", "resolution"}
