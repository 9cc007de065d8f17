"""The technician's page (我的工单, made for a phone): today's jobs in route order with address and
contact, one tap for arrived / customer not home / done, and the small completion form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from manyi.console.board.queries import soonest_clocks
from manyi.console.board.view import clock_view
from manyi.console.deps import Page, page
from manyi.console.jobs import queries as jq
from manyi.console.labels import LABELS
from manyi.core.clock import now
from manyi.core.errors import IllegalTransition, ManyiError, PermissionDenied
from manyi.orders import flows
from manyi.orders.lifecycle import next_actions
from manyi.orders.models import WorkOrder
from manyi.orders.resolutions import ON_SITE_RESOLUTION_CODES
from manyi.org.reference import region_index

router = APIRouter(include_in_schema=False)


def _technician(p: Page) -> None:
    if not p.has_role("technician"):
        raise PermissionDenied(p.gettext("Your role does not allow this page or action."))
    p.require("ticket:update")


def _job(p: Page, order_id: int) -> WorkOrder:
    order = jq.get_job(p.session, order_id=order_id, assignee_id=p.principal.user_id, viewer=p.viewer())
    return order


def _jobs_page(p: Page, *, page_number: int = 1, status_code: int = 200, **extra: Any) -> Response:
    at = now()
    offset = (page_number - 1) * jq.PAGE_SIZE
    jobs = jq.todays_jobs(p.session, assignee_id=p.principal.user_id, viewer=p.viewer(), at=at, offset=offset)
    more = len(jobs) > jq.PAGE_SIZE
    jobs = jobs[: jq.PAGE_SIZE]
    clocks = soonest_clocks(p.session, order_ids=[j.order.id for j in jobs])
    regions = region_index(p.session)
    rows = [
        {
            "job": j,
            "district": regions[j.district].name if j.district in regions else j.district,
            "clock": clock_view(clocks.get(j.order.id), at),
            "actions": set(next_actions(j.order.type, j.order.status, j.order.stage)),
        }
        for j in jobs
    ]
    context: dict[str, Any] = {
        "rows": rows,
        "today": at,
        "page_number": page_number,
        "more": more,
        "show_phone": p.can("pii:read"),
        "job_errors": {},
        **extra,
    }
    return p.render("jobs/jobs.html", status_code=status_code, **context)


@router.get("/jobs")
def jobs(p: Annotated[Page, Depends(page)], page: int = 1) -> Response:
    _technician(p)
    return _jobs_page(p, page_number=max(1, min(page, 1000)))


def _explain(p: Page, order: WorkOrder, error: ManyiError) -> str:
    """A refused tap, in the user's language where the page knows the sentence."""
    if too_long := p.too_long(error):
        return too_long
    if isinstance(error, IllegalTransition):
        return p.gettext("Not possible now: the job is at stage “%(stage)s”.") % {
            "stage": p.gettext(LABELS["stage"].get(order.stage, order.stage))
        }
    return error.message


def _tap(p: Page, order_id: int, flow: Any, done_message: str, **kwargs: Any) -> Response:
    """Run one one-tap action; on refusal roll back and show the reason on that job's card."""
    _technician(p)
    order = _job(p, order_id)
    try:
        flow(p.session, order=order, actor_id=p.principal.user_id, **kwargs)
    except ManyiError as error:
        message = _explain(p, order, error)
        p.session.rollback()
        return _jobs_page(p, status_code=error.status, job_errors={order_id: message})
    return p.redirect(f"/jobs#job-{order_id}", flash=done_message % {"number": order.number})


@router.post("/jobs/{order_id}/arrive")
def arrive(p: Annotated[Page, Depends(page)], order_id: int) -> Response:
    return _tap(p, order_id, flows.job_arrived_flow, p.gettext("%(number)s: arrival recorded."))


@router.post("/jobs/{order_id}/not-home")
def not_home(p: Annotated[Page, Depends(page)], order_id: int, text: Annotated[str, Form()] = "") -> Response:
    return _tap(
        p,
        order_id,
        flows.job_not_home_flow,
        p.gettext("%(number)s: visit logged, customer not home."),
        text=text,
    )


def _resolution_names(p: Page) -> dict[str, str]:
    return {code: p.gettext(LABELS["resolution"][code]) for code in ON_SITE_RESOLUTION_CODES}


def _done_form(p: Page, order: WorkOrder, *, status_code: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {
        "order": order,
        "codes": _resolution_names(p),
        "values": {"resolution_code": "", "notes": ""},
        **extra,
    }
    return p.render("jobs/done.html", status_code=status_code, **context)


@router.get("/jobs/{order_id}/done")
def done_form(p: Annotated[Page, Depends(page)], order_id: int) -> Response:
    _technician(p)
    return _done_form(p, _job(p, order_id))


@router.post("/jobs/{order_id}/done")
def done(
    p: Annotated[Page, Depends(page)],
    order_id: int,
    resolution_code: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    _technician(p)
    order = _job(p, order_id)
    try:
        flows.job_done_flow(
            p.session, order=order, actor_id=p.principal.user_id, resolution_code=resolution_code, notes=notes
        )
    except ManyiError as error:
        messages = {
            "resolution_code": p.gettext("Choose how the job was resolved."),
            "notes": p.gettext("Notes can be at most 2000 characters."),
        }
        field = error.field if error.field in messages else "form"
        message = messages[field] if field in messages else _explain(p, order, error)
        p.session.rollback()
        order = _job(p, order_id)
        values = {"resolution_code": resolution_code, "notes": notes}
        return _done_form(p, order, status_code=422, errors={field: message}, values=values)
    return p.redirect("/jobs", flash=p.gettext("%(number)s: job completed.") % {"number": order.number})
