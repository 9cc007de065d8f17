"""/admin/routing: the routing rules in the order they are tried (lowest rank first); create, edit,
switch on/off, delete. Orders already routed keep their team (the service's rule)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from sqlalchemy import select

from manyi.console.admin.common import can_change, can_view, changed, optional_int, submit
from manyi.console.deps import Page, page
from manyi.console.labels import label
from manyi.customers.models import PRODUCTS
from manyi.orders import routing
from manyi.orders.lifecycle import ORDER_TYPES
from manyi.orders.models import RoutingRule
from manyi.org.models import Team
from manyi.org.reference import team_name

router = APIRouter(prefix="/admin/routing", include_in_schema=False)
FIELDS = {
    "orderType": "order_type",
    "product": "product",
    "regionCode": "region_code",
    "categoryPath": "category_path_prefix",
    "team": "team_id",
    "rank": "rank",
}
Text = Annotated[str, Form()]
# A deployment has tens of rules, not thousands; the page shows them all so their order is visible.
MAX_RULES = 500


def _choices(p: Page) -> dict[str, Any]:
    return {
        "types": [(t, label("type", t)) for t in ORDER_TYPES],
        "products": [(x, label("product", x)) for x in PRODUCTS],
        "teams": [(t.id, t.name) for t in p.session.scalars(select(Team).order_by(Team.name))],
    }


@router.get("")
def list_rules(p: Annotated[Page, Depends(page)]) -> Response:
    can_view(p)
    rules = list(
        p.session.scalars(select(RoutingRule).order_by(RoutingRule.rank, RoutingRule.id).limit(MAX_RULES))
    )
    return p.render(
        "admin/routing.html",
        rules=rules,
        team_name=lambda team_id: team_name(p.session, team_id) or "",
        editable=p.can("config:write"),
    )


def _form_page(
    p: Page, rule_id: int | None, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return p.render(
        "admin/routing_form.html",
        status_code=status,
        rule_id=rule_id,
        form=form,
        errors=errors,
        editable=p.can("config:write"),
        **_choices(p),
    )


def _values(p: Page, form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    rank = optional_int(p, form["rank"], "rank", errors)
    if rank is None and "rank" not in errors:
        errors["rank"] = p.gettext("Enter a whole number.")
    team_id = optional_int(p, form["team_id"], "team_id", errors)
    if team_id is None and "team_id" not in errors:
        errors["team_id"] = p.gettext("Choose a team.")
    return {
        "rank": rank,
        "order_type": form["order_type"] or None,
        "category_path_prefix": form["category_path_prefix"].strip() or None,
        "product": form["product"] or None,
        "region_code": form["region_code"].strip() or None,
        "team_id": team_id,
        "required_skill": form["required_skill"].strip() or None,
        "active": bool(form["active"]),
    }


def _posted(
    rank: Text = "",
    order_type: Text = "",
    category_path_prefix: Text = "",
    product: Text = "",
    region_code: Text = "",
    team_id: Text = "",
    required_skill: Text = "",
    active: Text = "",
) -> dict[str, Any]:
    """The rule form as posted (create and edit post the same fields)."""
    return {
        "rank": rank,
        "order_type": order_type,
        "category_path_prefix": category_path_prefix,
        "product": product,
        "region_code": region_code,
        "team_id": team_id,
        "required_skill": required_skill,
        "active": bool(active),
    }


@router.get("/new")
def new_rule(p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    blank = dict.fromkeys(
        ("order_type", "category_path_prefix", "product", "region_code", "team_id", "required_skill"), ""
    )
    return _form_page(p, None, {**blank, "rank": "100", "active": True}, {})


@router.post("/new")
def create_rule(
    p: Annotated[Page, Depends(page)], form: Annotated[dict[str, Any], Depends(_posted)]
) -> Response:
    can_change(p)
    errors: dict[str, str] = {}
    values = _values(p, form, errors)
    rule = submit(
        p,
        errors,
        save=lambda: routing.create_rule(p.session, **values),
        form_page=lambda found: _form_page(p, None, form, found, 422),
        fields=FIELDS,
        default="team_id",
    )
    if isinstance(rule, Response):
        return rule
    changed(p, "create", f"routingRule/{rule.id}", **values)
    return p.redirect("/admin/routing", flash=p.gettext("Routing rule created; it applies to new orders."))


@router.get("/{rule_id}")
def edit_rule(p: Annotated[Page, Depends(page)], rule_id: int) -> Response:
    can_view(p)
    rule = routing.get_rule(p.session, rule_id=rule_id)
    form = {key: getattr(rule, key) if getattr(rule, key) is not None else "" for key in routing.RULE_FIELDS}
    return _form_page(p, rule.id, form, {})


@router.post("/{rule_id}")
def update_rule(
    p: Annotated[Page, Depends(page)], rule_id: int, form: Annotated[dict[str, Any], Depends(_posted)]
) -> Response:
    can_change(p)
    rule = routing.get_rule(p.session, rule_id=rule_id)
    errors: dict[str, str] = {}
    values = _values(p, form, errors)
    saved = submit(
        p,
        errors,
        save=lambda: routing.update_rule(p.session, rule_id=rule.id, changes=values),
        form_page=lambda found: _form_page(p, rule_id, form, found, 422),
        fields=FIELDS,
        default="team_id",
    )
    if isinstance(saved, Response):
        return saved
    changed(p, "update", f"routingRule/{rule_id}", **values)
    return p.redirect(
        "/admin/routing", flash=p.gettext("Routing rule saved; orders already routed stay with their team.")
    )


@router.post("/{rule_id}/active")
def switch_rule(p: Annotated[Page, Depends(page)], rule_id: int, active: Text = "") -> Response:
    can_change(p)
    routing.update_rule(p.session, rule_id=rule_id, changes={"active": active == "1"})
    changed(p, "update", f"routingRule/{rule_id}", active=active == "1")
    message = (
        p.gettext("Routing rule switched on.") if active == "1" else p.gettext("Routing rule switched off.")
    )
    return p.redirect("/admin/routing", flash=message)


@router.post("/{rule_id}/delete")
def delete_rule(p: Annotated[Page, Depends(page)], rule_id: int) -> Response:
    can_change(p)
    routing.delete_rule(p.session, rule_id=rule_id)
    changed(p, "delete", f"routingRule/{rule_id}")
    return p.redirect("/admin/routing", flash=p.gettext("Routing rule deleted."))
