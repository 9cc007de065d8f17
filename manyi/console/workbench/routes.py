"""The agent workbench (坐席工作台): caller lookup, my orders and my team's queue sorted by time left,
and the customer panel. The new-order form lives in workbench_new.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from manyi.console.deps import MAX_PAGE, Page, page
from manyi.console.workbench.customer import change_list_flag, history_context
from manyi.console.workbench.new import router as new_order_router
from manyi.console.workbench.queries import (
    PAGE_SIZE,
    QueuePage,
    customer_open_orders,
    customer_recent_orders,
    my_orders,
    team_queue,
)
from manyi.console.workbench.view import (
    common_context,
    customer_subscriptions,
    pii_search_refused,
    require_workbench,
    visible_customer,
)
from manyi.core.clock import now
from manyi.core.masking import PiiSearchRefused
from manyi.customers.contacts import contacts_of
from manyi.customers.lookup import customer_names, lookup_callers
from manyi.org.models import User
from manyi.org.reference import region_index, team_name, user_index

router = APIRouter(include_in_schema=False)
router.include_router(new_order_router)

HISTORY_DAYS = 90


def _page_number(value: int) -> int:
    return max(1, value)


def _queue_context(p: Page, queue: QueuePage) -> dict[str, Any]:
    orders = [row.order for row in queue.rows]
    return {
        "queue": queue,
        "customer_names": customer_names(p.session, [o.customer_id for o in orders]),
        "page_number": queue.offset // queue.limit + 1,
    }


@router.get("/workbench")
def workbench(
    p: Annotated[Page, Depends(page)],
    q: str = "",
    mine: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    team: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    require_workbench(p)
    scope = p.scope()
    hits = refused = None
    if q.strip():
        try:
            hits = lookup_callers(p.session, query=q, scope=scope, pii=p.can("pii:read"))
        except PiiSearchRefused:
            refused = pii_search_refused(p)
        if hits is not None and len(hits) == 1:  # the caller is identified: straight to their panel
            return p.redirect(f"/workbench/customer/{hits[0].customer.id}")
    user = p.session.get(User, p.principal.user_id)
    team_id = user.team_id if user else None
    mine_queue = my_orders(
        p.session,
        owner_id=p.principal.user_id,
        viewer=p.viewer(),
        offset=(_page_number(mine) - 1) * PAGE_SIZE,
    )
    team_context = None
    if team_id is not None:
        team_context = _queue_context(
            p,
            team_queue(
                p.session, team_id=team_id, viewer=p.viewer(), offset=(_page_number(team) - 1) * PAGE_SIZE
            ),
        )
    return p.render(
        "workbench/home.html",
        status_code=403 if refused else 200,
        q=q,
        hits=hits,
        refused=refused,
        mine=_queue_context(p, mine_queue),
        mine_number=mine,
        team=team_context,
        team_number=team,
        team_label=team_name(p.session, team_id) or "",
        now=now(),
        regions=region_index(p.session),
        **common_context(p),
    )


@router.get("/workbench/customer/{customer_id}")
def customer_panel(p: Annotated[Page, Depends(page)], customer_id: int) -> Response:
    return render_customer_panel(p, customer_id)


def render_customer_panel(
    p: Page,
    customer_id: int,
    *,
    status_code: int = 200,
    flag_error: str | None = None,
    flag_values: dict[str, str] | None = None,
) -> Response:
    """The customer panel; after a refused list change, with its message and what was typed."""
    require_workbench(p)
    customer = visible_customer(p, customer_id)
    viewer = p.viewer()
    at = now()
    open_rows = customer_open_orders(p.session, customer_id=customer.id, viewer=viewer)
    history = customer_recent_orders(
        p.session, customer_id=customer.id, viewer=viewer, since=at - timedelta(days=HISTORY_DAYS)
    )
    users = user_index(p.session)
    return p.render(
        "workbench/customer.html",
        status_code=status_code,
        flag_error=flag_error,
        flag_values=flag_values or {},
        **history_context(p, customer),
        customer=customer,
        subscriptions=customer_subscriptions(p, customer.id),
        contacts=contacts_of(p.session, [customer.id]).get(customer.id, []),
        open_rows=open_rows,
        history=history,
        history_days=HISTORY_DAYS,
        now=at,
        regions=region_index(p.session),
        **common_context(p),
        user_name=lambda uid: users[uid].display_name if uid in users else "",
        team_name=lambda tid: team_name(p.session, tid) or "",
        can_create=p.can("ticket:create"),
    )


@router.post("/workbench/customer/{customer_id}/list-flag")
def list_flag(
    customer_id: int,
    p: Annotated[Page, Depends(page)],
    version: Annotated[str, Form()] = "",
    flag: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    require_workbench(p)
    p.require("customer:flag")
    customer = visible_customer(p, customer_id)
    refused = change_list_flag(p, customer, flag=flag, reason=reason, version=version)
    if refused is not None:
        return render_customer_panel(
            p,
            customer_id,
            status_code=refused.status,
            flag_error=refused.message,
            flag_values={"flag": flag, "reason": reason},
        )
    return p.redirect(f"/workbench/customer/{customer_id}", flash=p.gettext("Red/blue list updated."))
