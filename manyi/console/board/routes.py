"""The dispatcher board (派单台): orders awaiting their region (triage), new unextracted orders with
their age, orders breaching in the next two hours, unassigned open orders by team, and bulk
assignment to a team member."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlalchemy import select

from manyi.console.board import queries as bq
from manyi.console.board.view import BoardQuery, clock_view, parse_board_query
from manyi.console.deps import Page, page, query_int
from manyi.core.clock import now
from manyi.core.errors import Conflict, ManyiError, PermissionDenied
from manyi.orders.lifecycle import ORDER_TYPES
from manyi.orders.models import WorkOrder
from manyi.orders.queries import visible_order
from manyi.orders.triage import pending_orders, place_order
from manyi.org.models import Team
from manyi.org.reference import region_index, team_name, user_index

router = APIRouter(include_in_schema=False)
BOARD_ROLES = ("dispatcher", "supervisor", "admin")
# How many rows each section shows when all three share the page; "show all" opens one section.
PREVIEW = 10


def _allowed(p: Page) -> None:
    if not p.has_role(*BOARD_ROLES):
        raise PermissionDenied(p.gettext("Your role does not allow this page or action."))
    p.require("ticket:read")


def _rows(p: Page, orders: list[WorkOrder], clocks: dict[int, Any] | None = None) -> list[dict[str, Any]]:
    """The fields a board row shows, names from the cached indexes."""
    at = now()
    users = user_index(p.session)
    regions = region_index(p.session)
    if clocks is None:
        soonest = bq.soonest_clocks(p.session, order_ids=[o.id for o in orders])
        clocks = {i: clock_view(c, at) for i, c in soonest.items()}
    return [
        {
            "order": o,
            "age": (at - o.created_at).total_seconds(),
            "team": team_name(p.session, o.team_id) or "",
            "assignee": users[o.assignee_id].display_name if o.assignee_id in users else "",
            "region": regions[o.region_code].name if o.region_code in regions else o.region_code,
            "clock": clocks.get(o.id),
        }
        for o in orders
    ]


def _section(rows: list[Any], limit: int) -> tuple[list[Any], bool]:
    return rows[:limit], len(rows) > limit


def _board(p: Page, query: BoardQuery, *, status_code: int = 200, **extra: Any) -> Response:
    viewer = p.viewer()
    where = query.where
    one = query.section
    limit = bq.PAGE_SIZE if one else PREVIEW
    offset = (query.page - 1) * bq.PAGE_SIZE if one else 0
    sections: dict[str, Any] = {}
    if one in ("", "new"):
        orders = bq.new_orders(p.session, viewer=viewer, where=where, offset=offset, limit=limit)
        sections["new"] = _section(_rows(p, orders), limit)
    if one in ("", "breaching"):
        at = now()
        pairs = bq.breaching_soon(p.session, viewer=viewer, where=where, at=at, offset=offset, limit=limit)
        rows = _rows(p, [o for o, _ in pairs], {})
        for row, (_, clock) in zip(rows, pairs, strict=True):
            row["clock"] = clock_view(clock, at)
        sections["breaching"] = _section(rows, limit)
    counts: list[dict[str, Any]] = []
    if one in ("", "unassigned"):
        counts = [
            {"team_id": t, "name": team_name(p.session, t) or p.gettext("No team"), "count": n}
            for t, n in bq.unassigned_counts(p.session, viewer=viewer, where=where)
        ]
        if where.team_id is not None:
            orders = bq.unassigned_orders(p.session, viewer=viewer, where=where, offset=offset, limit=limit)
            sections["unassigned"] = _section(_rows(p, orders), limit)
    if one == "":  # orders a standard TMF client sent without a region, for the dispatcher to place
        sections["triage"] = _section(
            _rows(p, pending_orders(p.session, viewer=viewer, limit=PREVIEW)), PREVIEW
        )
    teams = list(p.session.execute(select(Team.id, Team.name).order_by(Team.name)).all())
    members = bq.team_members(p.session, team_id=where.team_id) if where.team_id is not None else []
    regions = [r for r in region_index(p.session).values() if p.in_scope(r.code)]
    context: dict[str, Any] = {
        "query": query,
        "sections": sections,
        "counts": counts,
        "teams": teams,
        "members": members,
        "regions": sorted(regions, key=lambda r: r.code),
        "types": ORDER_TYPES,
        "can_assign": p.can("ticket:update"),
        "selected": set(),
        **extra,
    }
    return p.render("board/board.html", status_code=status_code, **context)


@router.get("/board")
def board(
    p: Annotated[Page, Depends(page)],
    team: str | None = None,
    region: str | None = None,
    type: str | None = None,
    section: str | None = None,
    page: str | None = None,
) -> Response:
    _allowed(p)
    query = parse_board_query(p.session, team=team, region=region, type=type, section=section, page=page)
    return _board(p, query)


def _refusal(p: Page, error: ManyiError) -> str:
    """The error in the user's language where the page knows the sentence; else as the service said."""
    if isinstance(error, bq.BulkAssignRefused):
        templates = {
            "missing": p.gettext("Order %(order)s does not exist or is outside your regions."),
            "finished": p.gettext("Order %(order)s is finished and cannot be assigned."),
            "other_team": p.gettext("Order %(order)s belongs to another team."),
        }
        if error.reason in templates:
            return (
                templates[error.reason] % {"order": error.order_ref}
                + " "
                + p.gettext("Nothing was assigned.")
            )
    known = {
        "orders: select at least one order": p.gettext("Select at least one order."),
        "assignee: choose an active member of the team": p.gettext("Choose an active member of the team."),
        "team: choose a team first": p.gettext("Choose a team in the filters first."),
    }
    return known.get(error.message, error.message)


@router.post("/board/assign")
def assign(
    p: Annotated[Page, Depends(page)],
    order: Annotated[list[str], Form()] = [],  # noqa: B006 — FastAPI copies form defaults
    assignee: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",
    section: Annotated[str, Form()] = "",
    page_number: Annotated[str, Form(alias="page")] = "",
) -> Response:
    _allowed(p)
    p.require("ticket:update")
    query = parse_board_query(
        p.session, team=team, region=region, type=type, section=section, page=page_number
    )
    ids = [i for i in (query_int(v) for v in order) if i is not None]
    try:
        if query.where.team_id is None:
            raise ManyiError("team: choose a team first", field="assignee")
        assignee_id = query_int(assignee) or 0
        done = bq.bulk_assign_flow(
            p.session,
            order_ids=ids,
            team_id=query.where.team_id,
            assignee_id=assignee_id,
            viewer=p.viewer(),
            actor_id=p.principal.user_id,
        )
    except ManyiError as error:
        p.session.rollback()  # nothing of a refused bulk assignment stays
        field = "assignee" if error.field == "assignee" else "orders"
        message = _refusal(p, error)
        return _board(p, query, status_code=422, errors={field: message}, selected=set(ids))
    flash = p.gettext("%(n)s orders assigned") % {"n": len(done)}
    return p.redirect(query.url(), flash=flash)


@router.post("/board/place")
def place(
    p: Annotated[Page, Depends(page)],
    order: Annotated[str, Form()] = "",
    target: Annotated[str, Form(alias="target_region")] = "",
) -> Response:
    """Set the region of an order waiting in triage; it is routed again for that region."""
    _allowed(p)
    p.require("ticket:update")
    query = parse_board_query(p.session, team=None, region=None, type=None, section=None, page=None)
    found = (
        visible_order(p.session, p.viewer(), order_id=int(order))
        if order.isascii() and order.isdigit()
        else None
    )
    try:
        if found is None:
            raise ManyiError("order: missing", field="order")
        if not target:
            raise ManyiError("region: choose", field="region")
        placed = place_order(
            p.session, order_id=found.id, region_code=target, actor_id=p.principal.user_id, scope=p.scope()
        )
    except ManyiError as error:
        p.session.rollback()
        if error.field == "order":
            message = p.gettext("No such record, or it is outside your regions.")
        elif isinstance(error, Conflict):
            message = p.gettext("Order %(order)s already has its region.") % {
                "order": found.number if found else ""
            }
        elif target and target in region_index(p.session) and not p.in_scope(target):
            message = p.gettext("That region is outside your regions.")
        else:
            message = p.gettext("Choose a region.")
        return _board(p, query, status_code=422, errors={"triage": message})
    region = region_index(p.session)[placed.region_code].name
    flash = p.gettext("Order %(order)s placed in %(region)s") % {"order": placed.number, "region": region}
    return p.redirect(query.url(), flash=flash)
