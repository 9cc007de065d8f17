"""The supervisor page's aggregate figures — open orders by team and status, timeliness today and
this month — kept per process for `supervisor_figures_seconds` (default 30 s) and shown "as of" the
moment they were computed.

Why: every supervisor keeps the page open and its live part refreshes every minute, and each refresh
aggregated the whole open backlog and today's clocks again (a third of the page's time on 1,000,000
orders), although supervisors with the same regions see the same figures and a figure a few seconds
old changes no decision. The lists that name orders to act on (breached, breaching soon, my
escalations) and the holiday banner are not kept: they stay exact on every request.

Region scope is a security rule, so an entry is keyed by the exact set of region codes the viewer
may see (None: all regions) — the same value that filters the query — and two viewers share an entry
only when they may see exactly the same orders. It is also keyed by the engine (one database) and,
for timeliness, by the local day, so "today" never carries over midnight. Each process keeps its
own entries; nothing is shared between processes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from manyi.console.supervisor import queries as stats
from manyi.core.settings import get_settings
from manyi.orders.queries import Viewer
from manyi.sla import kpis

T = TypeVar("T")

# Scopes are a handful (all regions, a few cities, some districts); the bound only guards the
# process against an unusual mix of scopes and days.
MAX_ENTRIES = 512

Tallies = dict[tuple[int | None, str], kpis.Tally]


@dataclass(frozen=True)
class Figures(Generic[T]):
    """A computed value and the instant it describes. Shared between requests: read, never modify."""

    value: T
    as_of: datetime


_lock = threading.Lock()
# engine -> {key: figures}; weak so a disposed engine (a test's database) takes its entries with it.
_stores: weakref.WeakKeyDictionary[Engine, dict[Hashable, Figures[Any]]] = weakref.WeakKeyDictionary()


def _store(session: Session) -> dict[Hashable, Figures[Any]]:
    engine = session.get_bind().engine
    with _lock:
        store = _stores.get(engine)
        if store is None:
            store = _stores[engine] = {}
        return store


def _fresh(figures: Figures[Any], at: datetime, seconds: float) -> bool:
    # A negative age (the clock was set back) counts as stale rather than as fresh for ever.
    return 0 <= (at - figures.as_of).total_seconds() < seconds


def cached(session: Session, key: Hashable, *, at: datetime, compute: Callable[[], T]) -> Figures[T]:
    """Return the figures stored under key while younger than the setting, else compute them now."""
    seconds = get_settings().supervisor_figures_seconds
    if seconds <= 0:
        return Figures(compute(), at)
    store = _store(session)
    with _lock:
        hit = store.get(key)
    if hit is not None and _fresh(hit, at, seconds):
        return hit
    # Computed outside the lock: two requests missing together both query, which is cheaper than
    # making every other scope's request wait behind this one.
    fresh = Figures(compute(), at)
    with _lock:
        if len(store) >= MAX_ENTRIES:
            for stale in [k for k, f in store.items() if not _fresh(f, at, seconds)]:
                del store[stale]
            if len(store) >= MAX_ENTRIES:
                store.clear()
        store[key] = fresh
    return fresh


def open_counts(session: Session, *, viewer: Viewer, at: datetime) -> Figures[stats.CountTable]:
    """Open orders by team and status the viewer sees, at most the setting's seconds old."""
    return cached(
        session, ("open_counts", viewer), at=at, compute=lambda: stats.open_counts(session, viewer=viewer)
    )


def timeliness(
    session: Session, *, regions: frozenset[str] | None, at: datetime
) -> Figures[tuple[Tallies, Tallies]]:
    """Timeliness today and this month by (team, clock kind) in these regions, at most the
    setting's seconds old and never from another day."""
    tz_name = get_settings().default_timezone
    today, month = kpis.periods(at, tz_name)

    def compute() -> tuple[Tallies, Tallies]:
        live = kpis.timeliness(session, start=today.start, end=today.end, at=at, regions=regions)
        month_tallies = kpis.month_timeliness(
            session, period=month, today=today, at=at, regions=regions, tz_name=tz_name, live_today=live
        )
        return live, month_tallies

    return cached(session, ("timeliness", regions, today.start), at=at, compute=compute)
