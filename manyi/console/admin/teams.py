"""/admin/teams: teams with their member counts; create and change department, region, lead and
calendar (a new calendar applies to SLA clocks started from then on — the service's rule)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response
from sqlalchemy import select

from manyi.calendars.models import Calendar
from manyi.console.admin.common import PAGE_SIZE, can_change, can_view, changed, page_number, submit
from manyi.console.deps import Page, page, query_int
from manyi.console.regions import region_names
from manyi.core.errors import NotFound
from manyi.org import service
from manyi.org.models import Department, Team
from manyi.org.reference import user_by_username, user_index

router = APIRouter(prefix="/admin/teams", include_in_schema=False)
FIELDS = {
    "name": "name",
    "department": "department_id",
    "regionCode": "region_code",
    "lead": "lead",
    "calendar": "calendar_name",
}
Text = Annotated[str, Form()]


def _choices(p: Page) -> dict[str, Any]:
    return {
        "departments": [
            (d.id, d.name) for d in p.session.scalars(select(Department).order_by(Department.name))
        ],
        "calendars": [(c, c) for c in p.session.scalars(select(Calendar.name).order_by(Calendar.name))],
    }


@router.get("")
def list_teams(
    p: Annotated[Page, Depends(page)], pageno: Annotated[str, Query(alias="page")] = "1"
) -> Response:
    can_view(p)
    number = page_number(pageno)
    rows = list(
        p.session.scalars(
            select(Team).order_by(Team.name, Team.id).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
        )
    )
    teams = rows[:PAGE_SIZE]
    users = user_index(p.session)
    return p.render(
        "admin/teams.html",
        teams=teams,
        has_next=len(rows) > PAGE_SIZE,
        pageno=number,
        members=service.team_member_counts(p.session, team_ids=[t.id for t in teams]),
        departments=service.department_names(p.session, department_ids=[t.department_id for t in teams]),
        lead_name=lambda uid: users[uid].display_name if uid in users else "",
    )


def _form_page(
    p: Page, team: Team | None, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return p.render(
        "admin/team_form.html",
        status_code=status,
        team=team,
        form=form,
        errors=errors,
        editable=p.can("config:write"),
        region_names=lambda codes: region_names(p, codes),
        **_choices(p),
    )


def _values(p: Page, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The form's text turned into the service's values; unknown lead user names are an error here."""
    lead = form["lead"].strip()
    lead_id = None
    if lead:
        info = user_by_username(p.session, lead)
        if info is None:
            errors["lead"] = p.gettext("No user has this user name.")
        else:
            lead_id = info.id
    if not form["name"].strip():
        errors["name"] = p.gettext("Enter a name.")
    if query_int(form["department_id"]) is None:
        errors["department_id"] = p.gettext("Choose a department.")
    return {
        "name": form["name"],
        "department_id": query_int(form["department_id"]),
        "region_code": form["region_code"].strip() or None,
        "lead_user_id": lead_id,
        "calendar_name": form["calendar_name"] or None,
    }


@router.get("/new")
def new_team(p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    blank = dict.fromkeys(("name", "department_id", "region_code", "lead", "calendar_name"), "")
    return _form_page(p, None, blank, {})


def _posted(
    name: Text = "",
    department_id: Text = "",
    region_code: Text = "",
    lead: Text = "",
    calendar_name: Text = "",
) -> dict[str, str]:
    """The team form as posted (create and edit post the same fields)."""
    return {
        "name": name,
        "department_id": department_id,
        "region_code": region_code,
        "lead": lead,
        "calendar_name": calendar_name,
    }


@router.post("/new")
def create_team(
    p: Annotated[Page, Depends(page)], form: Annotated[dict[str, str], Depends(_posted)]
) -> Response:
    can_change(p)
    errors: dict[str, str] = {}
    values = _values(p, form, errors)
    team = submit(
        p,
        errors,
        save=lambda: service.create_team(p.session, **values),
        form_page=lambda found: _form_page(p, None, form, found, 422),
        fields=FIELDS,
        default="name",
    )
    if isinstance(team, Response):
        return team
    changed(p, "create", f"team/{team.id}", name=team.name)
    return p.redirect("/admin/teams", flash=p.gettext("Team created."))


def _team(p: Page, team_id: int) -> Team:
    team = p.session.get(Team, team_id)
    if team is None:
        raise NotFound(p.gettext("No such team."))
    return team


@router.get("/{team_id}")
def edit_team(p: Annotated[Page, Depends(page)], team_id: int) -> Response:
    can_view(p)
    team = _team(p, team_id)
    users = user_index(p.session)
    form = {
        "name": team.name,
        "department_id": str(team.department_id),
        "region_code": team.region_code or "",
        "lead": users[team.lead_user_id].username if team.lead_user_id in users else "",
        "calendar_name": team.calendar_name or "",
    }
    return _form_page(p, team, form, {})


@router.post("/{team_id}")
def update_team(
    p: Annotated[Page, Depends(page)], team_id: int, form: Annotated[dict[str, str], Depends(_posted)]
) -> Response:
    can_change(p)
    team = _team(p, team_id)
    errors: dict[str, str] = {}
    values = _values(p, form, errors)
    saved = submit(
        p,
        errors,
        save=lambda: service.update_team(p.session, team_id=team.id, changes=values),
        form_page=lambda found: _form_page(p, _team(p, team_id), form, found, 422),
        fields=FIELDS,
        default="name",
    )
    if isinstance(saved, Response):
        return saved
    changed(p, "update", f"team/{team.id}", changes=values)
    return p.redirect("/admin/teams", flash=p.gettext("Team saved."))
