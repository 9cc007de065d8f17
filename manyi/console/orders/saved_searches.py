"""Saved searches on the order list (issue 12, search): the built-in "my overdue" and "team overdue"
plus each staff member's own named filter sets, saved and deleted from /orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from manyi.console.deps import Page, page
from manyi.console.error_text import user_message
from manyi.core.errors import ManyiError
from manyi.org.models import User
from manyi.search import service

router = APIRouter(include_in_schema=False)


def _(message: str) -> str:
    return message


MY_OVERDUE = _("My overdue")
TEAM_OVERDUE = _("Team overdue")


def saved_context(p: Page, current_query: str) -> dict[str, Any]:
    """What the list's saved-search panel shows: built-ins first, then the user's own."""
    user = p.session.get(User, p.principal.user_id)
    builtin = [(p.gettext(MY_OVERDUE), "/orders?breached=1&mine=1")]
    if user is not None and user.team_id is not None:
        builtin.append((p.gettext(TEAM_OVERDUE), f"/orders?team={user.team_id}&breached=1"))
    own = service.user_searches(p.session, user_id=p.principal.user_id)
    return {
        "builtin": builtin,
        "own": [(s.id, s.name, f"/orders?{s.query}") for s in own],
        "query": current_query,
    }


@router.post("/orders/saved")
def save(
    p: Annotated[Page, Depends(page)],
    name: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
) -> Response:
    p.require("ticket:read")
    try:
        saved = service.save_search(p.session, user_id=p.principal.user_id, name=name, query=query)
    except ManyiError as error:
        p.session.rollback()
        cleaned = service.clean_query(query)
        return p.redirect(f"/orders?{cleaned}", flash=user_message(error, p.gettext))
    return p.redirect(
        f"/orders?{saved.query}", flash=p.gettext("Search “%(name)s” saved.") % {"name": saved.name}
    )


@router.post("/orders/saved/{search_id}/delete")
def delete(p: Annotated[Page, Depends(page)], search_id: int) -> Response:
    p.require("ticket:read")
    service.delete_search(p.session, user_id=p.principal.user_id, search_id=search_id)
    return p.redirect("/orders", flash=p.gettext("Saved search deleted."))
