"""The bulk path: many work orders with their whole history at once (demo generation, imports).

Given fully decided specs (OrderSpec: the request as create_order takes it, and every step that
happened to it since), write_orders stores exactly the rows the services would have stored, had
create_order and then transition_order / assign_order / transfer_order been called for each step at
its instant, and, given `now`, had the worker swept the clocks at `now`: work_orders, sla_clocks,
order_events and the ladder's outbox messages. It reuses the services' rules (routing, policy choice,
calendars, the state machine, the clock rules) and skips their per-order round trips: what only
depends on an order's type and actions is worked out once (bulk_paths), deadlines for a whole batch
(bulk_clocks), and rows go in by the batch with COPY or executemany from a writer thread (bulk_io).

Like the services it flushes but never commits; a bad spec raises ValidationFailed naming its index
and field before any row of its batch is written, and the caller's unit of work rolls back the rest.
Order listeners (manyi.orders.hooks) are not told: a bulk load is history, not news.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from manyi.bulk.clocks import US, Memo, from_us, plan_group
from manyi.bulk.group import build_rows
from manyi.bulk.refs import References
from manyi.bulk.rows import (
    Fired,
    OrderSpec,
    Resolved,
    Step,
)
from manyi.bulk.sink import Memo as CopyMemo
from manyi.bulk.sink import Sink, drop_secondary_indexes, restore_indexes
from manyi.core.db import is_postgres
from manyi.core.ids import order_number
from manyi.core.sequences import reserve_values
from manyi.core.settings import get_settings
from manyi.orders.models import ORDER_NUMBERS, WorkOrder
from manyi.orders.service import lifecycle_zone
from manyi.outbox.models import OutboxMessage
from manyi.sla.escalation import Recipients, step_message
from manyi.sla.escalation import Rung as LadderRung
from manyi.sla.models import SlaClock

__all__ = ["OrderSpec", "Step", "write_orders"]


@dataclass
class _Prepared:
    items: list[Resolved]
    ids: list[int]
    numbers: list[str]


def _batches(specs: Iterable[OrderSpec], size: int) -> Iterator[list[OrderSpec]]:
    it = iter(specs)
    while batch := list(islice(it, size)):
        yield batch


def write_orders(
    session: Session,
    specs: Iterable[OrderSpec],
    *,
    now: datetime | None = None,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
    rebuild_indexes: bool = False,
) -> list[int]:
    """Store the orders with their clocks and history as the services would; return their ids in order.

    With `now`, clocks are left as the worker's sweep at `now` would leave them (warnings, breaches and
    escalations fired, with their events and messages); every instant must then be at or before it.
    With `rebuild_indexes`, the tables' secondary indexes (and foreign keys on PostgreSQL) are dropped
    for the load and rebuilt at the end, as PostgreSQL's "Populating a Database" advises: several
    times faster when the load is most of the tables, but they stay locked until the transaction ends,
    so it is for the demo and first imports into a quiet database.
    """
    # The cyclic garbage collector would walk the millions of rows and specs in flight over and
    # over (a third of the time of a big load); nothing here makes reference cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write(session, specs, now, batch_size, progress, rebuild_indexes)
    finally:
        if collecting:
            gc.enable()


def _write(
    session: Session,
    specs: Iterable[OrderSpec],
    now: datetime | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
    rebuild_indexes: bool,
) -> list[int]:
    session.flush()  # pending ORM work first: from here the writer thread owns the connection
    rebuild = drop_secondary_indexes(session) if rebuild_indexes else []
    sink = Sink(session)
    refs = References(session, now=now, lock=sink.lock)
    zone = lifecycle_zone()
    postgres = is_postgres(session)
    next_id: list[int] = []
    prefixes: dict[int, str | None] = {}
    memo: Memo = {}  # deadlines by start minute, for every batch

    def prepare(batch: list[OrderSpec], offset: int) -> _Prepared:
        """Check the batch and take what it needs from the database (references, ids, numbers)."""
        # All of it holding the connection: the checks' occasional lookups (a routing or policy
        # combination not met before) query it too, and would otherwise each wait for a batch
        # being sent. What follows (clocks, rows, their text) is pure computation.
        with sink.lock:  # waits for the batch being written, if any
            refs.load(batch)
            items = [refs.resolve(offset + i, spec) for i, spec in enumerate(batch)]
            ids = _reserve_ids(session, len(items), postgres, next_id)
            seqs = reserve_values(session, ORDER_NUMBERS, len(items))
        numbers = _numbers([r.times[0] for r in items], seqs, zone, prefixes)
        return _Prepared(items, ids, numbers)

    now_us = refs.now_us
    delays = tuple(m * 60 * US for m in get_settings().escalation_delays_minutes)
    written: list[int] = []
    fired: list[Fired] = []
    batches = _batches(specs, batch_size)
    # The writer thread sends batch N while this thread computes the rows of batch N + 1: batch
    # N + 1 is checked and given its ids before N is handed over (that needs the connection), and
    # N's rows are handed over once encoded.
    try:
        first = next(batches, None)
        prepared = prepare(first, 0) if first else None
        while prepared is not None:
            _plan(prepared.items, memo)
            built = build_rows(prepared.items, prepared.ids, prepared.numbers, now=now_us, delays_us=delays)
            copied: CopyMemo = {}  # the batch's id lists, converted to text once for all tables
            tables = (built.orders, built.clocks, built.events, built.contacts, built.callbacks)
            jobs = [sink.encode(table, copied) for table in tables]
            del copied
            written.extend(prepared.ids)
            fired.extend(built.fired)
            count = len(prepared.ids)
            following = next(batches, None)
            prepared = prepare(following, len(written)) if following else None
            for job in jobs:
                sink.submit(job)
            del jobs
            if progress is not None:
                progress(count)
    except BaseException:
        with suppress(Exception):  # the first error is the one to report
            sink.close()
        raise
    sink.close()
    restore_indexes(session, rebuild)
    if fired and now is not None:
        _write_messages(session, fired, now)
    return written


def _reserve_ids(session: Session, count: int, postgres: bool, next_id: list[int]) -> list[int]:
    """Ids for new orders: from the table's sequence on PostgreSQL; on SQLite the write lock is held
    for the whole transaction, so the ids after the current maximum stay free until commit."""
    if postgres:
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence('work_orders', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        )
        return sorted(int(v) for (v,) in rows)
    if not next_id:
        next_id.append((session.scalar(select(func.max(WorkOrder.id))) or 0) + 1)
    first = next_id[0]
    next_id[0] += count
    return list(range(first, first + count))


_QUARTER = 900 * US  # every zone's UTC offset is a whole number of quarter hours


def _numbers(created_us: list[int], seqs: list[int], zone: Any, prefixes: dict[int, str | None]) -> list[str]:
    """order_number of each order's creation in the zone: its date part is worked out once per
    quarter hour (the local date only changes on one), from order_number itself."""
    numbers = []
    for created, seq in zip(created_us, seqs, strict=True):
        key = created // _QUARTER
        prefix = prefixes.get(key, "")
        if prefix == "":
            first = order_number(from_us(key * _QUARTER).astimezone(zone), 0)
            last = order_number(from_us((key + 1) * _QUARTER - 1).astimezone(zone), 0)
            # (and order_number still ends with the zero-padded six-digit sequence)
            same = first == last and first.endswith("000000")
            prefix = prefixes[key] = first[:-6] if same else None
        if prefix is None:  # a date change inside the quarter hour, should a zone ever have one
            numbers.append(order_number(from_us(created).astimezone(zone), seq))
        else:
            numbers.append(f"{prefix}{seq:06d}")
    return numbers


def _plan(items: list[Resolved], memo: Memo) -> None:
    """Plan the clocks of the batch, one vectorised pass per (policy, calendar)."""
    groups: dict[tuple[int, str], list[Resolved]] = {}
    for item in items:
        if item.policy is not None and item.calendar is not None:
            groups.setdefault((item.policy.id, item.calendar.name), []).append(item)
    for members in groups.values():
        head = members[0]
        assert head.policy is not None and head.calendar is not None
        # Each target from when it starts (a clock that never starts is planned from creation and
        # not written).
        starts = [[m.times[m.starts[k] or 0] for m in members] for k in range(len(head.policy.targets))]
        group = plan_group(head.calendar, head.policy, starts, memo)
        for position, member in enumerate(members):
            member.group, member.position = group, position


def _write_messages(session: Session, fired: list[Fired], now: datetime) -> None:
    """The outbox messages of the ladder steps the sweep fired (their dedupe keys name the clock),
    a few thousand at a time: a million orders fire hundreds of thousands of them."""
    recipients = Recipients(session)
    for start in range(0, len(fired), 5000):
        chunk = fired[start : start + 5000]
        order_ids = sorted({f.order_id for f in chunk})
        clock_ids: dict[int, list[int]] = {}
        for first in range(0, len(order_ids), 1000):
            rows = session.execute(
                select(SlaClock.order_id, SlaClock.id)
                .where(SlaClock.order_id.in_(order_ids[first : first + 1000]))
                .order_by(SlaClock.id)
            )
            for order_id, clock_id in rows:
                clock_ids.setdefault(order_id, []).append(clock_id)
        messages = [
            step_message(
                kind=f.kind,
                rung=LadderRung(f.step, f.role),
                due_at=from_us(f.due_at),
                clock_id=clock_ids[f.order_id][f.clock_position],
                order_id=f.order_id,
                order_number=f.number,
                recipient=recipients.for_role(f.role, f),
                at=now,
            )
            for f in chunk
        ]
        session.execute(insert(OutboxMessage), messages)
    session.flush()
