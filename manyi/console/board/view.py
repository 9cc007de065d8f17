"""What the board and job pages show about an order: its SLA countdown, age and names, built from
the cached reference indexes (no query per row); and the board's filters as they travel in the URL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from manyi.console.board.queries import SECTIONS, BoardFilter
from manyi.console.deps import page_number, query_int
from manyi.orders.lifecycle import ORDER_TYPES
from manyi.org.reference import region_index
from manyi.sla.models import SlaClock


@dataclass(frozen=True)
class ClockView:
    """One countdown as console.js expects it: `<span class="clock {css}" data-due data-warn …>`."""

    kind: str
    css: str  # ok | warning | breached | paused
    state: str  # running | paused
    due: str
    warn: str
    left_seconds: float
    live: bool  # natural-time clocks count down in the browser; working-time ones are refreshed


def clock_view(clock: SlaClock | None, at: datetime) -> ClockView | None:
    if clock is None:
        return None
    if clock.state == "paused":
        css = "paused"
    elif clock.breached or at >= clock.due_at:
        css = "breached"
    elif at >= clock.warn_at:
        css = "warning"
    else:
        css = "ok"
    return ClockView(
        kind=clock.kind,
        css=css,
        state=clock.state,
        due=clock.due_at.isoformat(),
        warn=clock.warn_at.isoformat(),
        left_seconds=(clock.due_at - at).total_seconds(),
        live=clock.unit.startswith("natural"),
    )


@dataclass(frozen=True)
class BoardQuery:
    """The board's URL state: filters, the section shown alone (or all), and the page."""

    where: BoardFilter
    section: str = ""
    page: int = 1

    def url(self, **changes: object) -> str:
        """/board with these values changed (empty values are left out of the query string)."""
        where = self.where
        values: dict[str, object] = {
            "team": where.team_id,
            "region": where.region_code,
            "type": where.order_type,
            "section": self.section,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = None
        query = urlencode({k: v for k, v in values.items() if v is not None and v != ""})
        return "/board" + (f"?{query}" if query else "")

    def with_section(self, section: str) -> BoardQuery:
        return replace(self, section=section, page=1)


def parse_board_query(
    session: Session,
    *,
    team: str | None,
    region: str | None,
    type: str | None,
    section: str | None,
    page: str | None,
) -> BoardQuery:
    """Read the filters leniently: an unknown value (a stale bookmark) is dropped, not an error."""
    region_code = region if region and region in region_index(session) else None
    order_type = type if type in ORDER_TYPES else None
    where = BoardFilter(team_id=query_int(team), region_code=region_code, order_type=order_type)
    number = min(page_number(page), 10_000)
    return BoardQuery(where, section if section in SECTIONS else "", number)
