"""What the supervisor page shows, gathered from the domain queries into plain rows for the
templates: names from the cached reference indexes, countdowns as seconds, rates as percentages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from manyi.calendars.service import check_year
from manyi.console.deps import Page
from manyi.console.labels import label
from manyi.console.supervisor import cache as supervisor_cache
from manyi.console.supervisor import queries as stats
from manyi.core.clock import zone
from manyi.core.settings import get_settings
from manyi.org.reference import team_name
from manyi.sla import kpis
from manyi.sla.models import STAGE_KINDS

# From October the next year's schedule is due (the State Council publishes it around November);
# before that a missing year is normal and a banner would be noise, unless a deadline already
# reaches into it (then some order is provisional and the banner shows whatever the month).
BANNER_FROM_MONTH = 10


def _team(p: Page, team_id: int | None) -> str:
    return team_name(p.session, team_id) or p.gettext("No team")


def clock_view(c: stats.WatchedClock, at: datetime) -> dict[str, Any]:
    """A countdown as console.js expects it; wall-clock seconds to the deadline instant."""
    if c.state == "paused":
        css = "paused"
    else:
        css = "breached" if c.due_at <= at else "warning" if c.warn_at <= at else "ok"
    return {
        "css": css,
        "due": c.due_at.isoformat(),
        "warn": c.warn_at.isoformat(),
        "state": c.state,
        "left": (c.due_at - at).total_seconds(),
        "due_at": c.due_at,
    }


def watched_rows(p: Page, clocks: list[stats.WatchedClock], at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "number": c.number,
            "title": c.title or "",
            "type": c.order_type,
            "status": c.status,
            "team": _team(p, c.team_id),
            "kind": c.kind,
            "clock": clock_view(c, at),
        }
        for c in clocks
    ]


def live_context(p: Page, at: datetime) -> dict[str, Any]:
    """The part of the page refreshed every minute: counts (kept briefly, see supervisor_cache),
    breached and about-to-breach orders (exact on every request)."""
    viewer = p.viewer()
    counts_figures = supervisor_cache.open_counts(p.session, viewer=viewer, at=at)
    counts = counts_figures.value
    breached_total, breached = stats.breached_open(p.session, viewer=viewer)
    soon_total, soon = stats.due_soon(p.session, viewer=viewer, at=at)
    return {
        "counts": counts,
        "counts_as_of": counts_figures.as_of,
        "team_names": {t: _team(p, t) for t in counts.teams},
        "breached_total": breached_total,
        "breached": watched_rows(p, breached, at),
        "soon_total": soon_total,
        "soon": watched_rows(p, soon, at),
    }


def _percent(t: kpis.Tally) -> float | None:
    rate = t.rate
    return None if rate is None else round(rate * 100, 1)


@dataclass(frozen=True)
class TimelinessRow:
    name: str
    today: kpis.Tally
    month: kpis.Tally

    @property
    def today_percent(self) -> float | None:
        return _percent(self.today)

    @property
    def month_percent(self) -> float | None:
        return _percent(self.month)


@dataclass(frozen=True)
class StageRates:
    """One stage clock's rate over all teams, and by the team credited with each step."""

    kind: str
    name: str
    total: TimelinessRow
    teams: list[TimelinessRow]


def _rows(p: Page, by_period: dict[str, kpis.Tallies], kind: str) -> list[TimelinessRow]:
    today, month = kpis.by_team(by_period["today"], kind), kpis.by_team(by_period["month"], kind)
    team_ids = sorted(set(today) | set(month), key=lambda t: (_team(p, t), t or 0))
    return [
        TimelinessRow(_team(p, t), today.get(t, kpis.Tally()), month.get(t, kpis.Tally())) for t in team_ids
    ]


def timeliness_context(p: Page, at: datetime) -> dict[str, Any]:
    """Timeliness (工单处理及时率) today and this month by team -- each order once, on its resolution
    limit -- and, apart, each stage clock's rate by the team credited with it; plus the chart's data."""
    figures = supervisor_cache.timeliness(p.session, regions=p.scope(), at=at)
    _today, month = kpis.periods(figures.as_of, get_settings().default_timezone)
    by_period = {"today": figures.value[0], "month": figures.value[1]}
    rows = _rows(p, by_period, kpis.HEADLINE_KIND)
    stages = [
        StageRates(
            kind,
            label("clock", kind),
            TimelinessRow(
                p.gettext("All teams"),
                kpis.total(by_period["today"], kind),
                kpis.total(by_period["month"], kind),
            ),
            _rows(p, by_period, kind),
        )
        for kind in STAGE_KINDS
    ]
    overall = TimelinessRow(
        p.gettext("All teams"), kpis.total(by_period["today"]), kpis.total(by_period["month"])
    )
    chart = {
        "teams": [r.name for r in rows],
        "series": [
            {"name": p.gettext("Today"), "values": [r.today_percent for r in rows]},
            {"name": p.gettext("This month"), "values": [r.month_percent for r in rows]},
        ],
        "target": 96,
        "targetLabel": p.gettext("Target 96%"),
        "yTitle": p.gettext("On time (%)"),
    }
    return {
        "timeliness": rows,
        "timeliness_total": overall,
        "timeliness_stages": [s for s in stages if s.total.today.settled or s.total.month.settled],
        "timeliness_as_of": figures.as_of,
        "month_start": month.start,
        # Embedded in <script type="application/json">: "</" must not end the script element.
        "chart_json": json.dumps(chart, ensure_ascii=False).replace("</", "<\\/"),
    }


def banner_context(p: Page, at: datetime) -> dict[str, Any]:
    """Whether to warn that next year's holiday schedule is missing, and how many open orders in the
    user's regions already have a provisional deadline because of it."""
    local = at.astimezone(zone(get_settings().default_timezone))
    next_year = local.year + 1
    if check_year(p.session, year=next_year).loaded:
        return {"holiday_banner": None}
    provisional = stats.provisional_open(p.session, viewer=p.viewer())
    if local.month < BANNER_FROM_MONTH and not provisional:
        return {"holiday_banner": None}
    return {
        "holiday_banner": {
            "year": next_year,
            "provisional": provisional,
            "command": f"manyi calendar load-year {next_year} FILE",
            "can_load": p.can("config:write"),
        }
    }


def escalations_context(p: Page) -> dict[str, Any]:
    total, items = stats.escalations_for(p.session, user_id=p.principal.user_id, viewer=p.viewer())
    return {
        "escalations_total": total,
        "escalations": [
            {
                "number": e.number,
                "sent_at": e.sent_at,
                "topic": e.topic,
                "step": e.step,
                "kind": e.clock_kind,
                "due_at": e.due_at,
                "status": e.status,
                "team": _team(p, e.team_id),
            }
            for e in items
        ],
    }
