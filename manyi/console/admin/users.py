"""/admin/users: staff accounts — list (by role and team, paginated), create, change roles, regions,
team and active flag, reset the password. Passwords are never shown, only whether one is set.
An administrator sees and changes only users inside their regions and offers and grants only the
roles and regions they hold (manyi.org.user_scope, the same rule as the admin API)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response
from sqlalchemy import String, cast, select

from manyi.auth.permissions import ROLES
from manyi.auth.service import user_reach
from manyi.console.admin.common import (
    PAGE_SIZE,
    can_change,
    can_view,
    changed,
    page_number,
    submit,
    words,
)
from manyi.console.deps import Page, page, query_int
from manyi.console.labels import label
from manyi.console.regions import region_names
from manyi.core.errors import NotFound
from manyi.org import service
from manyi.org.models import Team, User
from manyi.org.password_policy import MIN_LENGTH, PasswordProblem, password_problem
from manyi.org.reference import team_name
from manyi.org.user_scope import Reach, ReachProblem, reach_problem

router = APIRouter(prefix="/admin/users", include_in_schema=False)
# The service's field names (API spelling) -> this page's inputs.
FIELDS = {
    "role": "roles",
    "roles": "roles",
    "region": "regions",
    "regions": "regions",
    "team": "team_id",
    "displayName": "display_name",
    "active": "active",
}
Text = Annotated[str, Form()]
Many = Annotated[list[str], Form()]


def _teams(p: Page) -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in p.session.scalars(select(Team).order_by(Team.name))]


def _roles(reach: Reach) -> list[tuple[str, str]]:
    """The roles this administrator may grant (a picker never offers more)."""
    return [(r, label("role", r)) for r in reach.roles()]


def _codes(values: list[str]) -> list[str]:
    """Region codes from the picker (one per value) or typed in one box ("330106, 330100")."""
    return [code for value in values for code in words(value)]


def _password_error(p: Page, problem: PasswordProblem) -> str:
    """The broken rule, in the user's language (the policy's English sentences are the message ids)."""
    messages = {
        "control": p.gettext("The password must not contain control or invisible characters."),
        "blank": p.gettext("The password must not be only spaces."),
        "short": p.gettext("The password needs at least %(n)s characters."),
        "long": p.gettext("The password may have at most %(n)s characters."),
        "username": p.gettext("The password must not be or contain the user name."),
        "common": p.gettext("This password is among the most common passwords; choose another."),
    }
    return messages[problem.rule] % problem.params


def _reach_error(p: Page, problem: ReachProblem) -> tuple[str, str]:
    """(form field, message) for a grant beyond the administrator's own roles or regions."""
    role = label("role", problem.value) if problem.kind in ("role", "holds_role") else ""
    messages = {
        "role": ("roles", p.gettext("You cannot grant the role %(role)s: you do not hold it.")),
        "holds_role": (
            "roles",
            p.gettext("You cannot change a user with the role %(role)s: you do not hold it."),
        ),
        "region": (
            "regions",
            p.gettext("You cannot grant the region %(code)s: it lies outside your regions."),
        ),
        "all_regions": ("regions", p.gettext("Choose at least one region: you do not cover all regions.")),
    }
    field, message = messages[problem.kind]
    return field, message % {"role": role, "code": problem.value}


@router.get("")
def list_users(
    p: Annotated[Page, Depends(page)],
    role: str = "",
    team: str = "",
    pageno: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    can_view(p)
    reach = user_reach(p.session, p.principal)
    number = page_number(pageno)
    query = select(User).order_by(User.username, User.id)
    if reach.scope is not None:
        query = query.where(User.id.in_(service.visible_user_ids(p.session, actor=reach)))
    if role in ROLES:
        # roles is a JSON list: match the quoted name in its text (same on SQLite and PostgreSQL)
        query = query.where(cast(User.roles, String).like(f'%"{role}"%'))
    team_id = query_int(team)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    rows = list(p.session.scalars(query.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return p.render(
        "admin/users.html",
        users=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        pageno=number,
        role=role,
        team=team,
        teams=_teams(p),
        roles=_roles(reach),
        team_name=lambda team_id: team_name(p.session, team_id) or "",
    )


def _choices(p: Page, reach: Reach) -> dict[str, Any]:
    """What the new and edit forms offer: teams, and only the roles and regions the caller holds."""
    return {
        "teams": _teams(p),
        "roles": _roles(reach),
        "region_names": lambda codes: region_names(p, codes),
        "all_regions": reach.scope is None,
        "password_min": MIN_LENGTH,
    }


def _new_form(
    p: Page, reach: Reach, form: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return p.render("admin/user_new.html", status_code=status, form=form, errors=errors, **_choices(p, reach))


@router.get("/new")
def new_user(p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    blank = {"username": "", "display_name": "", "roles": [], "regions": [], "team_id": "", "skills": ""}
    return _new_form(p, user_reach(p.session, p.principal), blank, {})


@router.post("/new")
def create_user(
    p: Annotated[Page, Depends(page)],
    username: Text = "",
    display_name: Text = "",
    roles: Many = [],  # noqa: B006 - FastAPI copies form defaults
    regions: Many = [],  # noqa: B006
    team_id: Text = "",
    skills: Text = "",
    password: Text = "",
) -> Response:
    can_change(p)
    reach = user_reach(p.session, p.principal)
    codes = _codes(regions)
    form = {
        "username": username,
        "display_name": display_name,
        "roles": roles,
        "regions": codes,
        "team_id": team_id,
        "skills": skills,
    }
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = p.gettext("Enter a user name.")
    if not roles:
        errors["roles"] = p.gettext("Choose at least one role.")
    problem = password_problem(password, username=username.strip())
    if problem is not None:
        errors["password"] = _password_error(p, problem)
    beyond = reach_problem(reach, roles=roles, regions=codes)
    if beyond is not None:
        field, message = _reach_error(p, beyond)
        return _new_form(p, reach, form, {**errors, field: message}, 403)
    user = submit(
        p,
        errors,
        save=lambda: service.create_user(
            p.session,
            username=username,
            display_name=display_name or None,
            roles=roles,
            regions=codes,
            team_id=query_int(team_id),
            skills=words(skills),
            password=password,
            actor=reach,
        ),
        form_page=lambda found: _new_form(p, reach, form, found, 422),
        fields=FIELDS,
        default="username",
    )
    if isinstance(user, Response):
        return user
    changed(p, "create", f"user/{user.id}", roles=user.roles, regions=user.regions)
    return p.redirect(f"/admin/users/{user.id}", flash=p.gettext("User created."))


def _user(p: Page, reach: Reach, user_id: int) -> User:
    """The user, when inside the caller's regions; otherwise reported missing, as orders are."""
    try:
        return service.visible_user(p.session, user_id=user_id, actor=reach)
    except NotFound:
        raise NotFound(p.gettext("No such record, or it is outside your regions.")) from None


def _edit_form(
    p: Page,
    reach: Reach,
    user: User,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    form = form or {
        "display_name": user.display_name,
        "roles": list(user.roles),
        "regions": list(user.regions),
        "team_id": user.team_id or "",
        "skills": ", ".join(user.skills or []),
        "active": user.active,
    }
    return p.render(
        "admin/user_edit.html",
        status_code=status,
        user=user,
        form=form,
        errors=errors or {},
        editable=p.can("config:write"),
        **_choices(p, reach),
    )


@router.get("/{user_id}")
def edit_user(p: Annotated[Page, Depends(page)], user_id: int) -> Response:
    can_view(p)
    reach = user_reach(p.session, p.principal)
    return _edit_form(p, reach, _user(p, reach, user_id))


@router.post("/{user_id}")
def update_user(
    p: Annotated[Page, Depends(page)],
    user_id: int,
    display_name: Text = "",
    roles: Many = [],  # noqa: B006
    regions: Many = [],  # noqa: B006
    team_id: Text = "",
    skills: Text = "",
    active: Text = "",
) -> Response:
    can_change(p)
    reach = user_reach(p.session, p.principal)
    user = _user(p, reach, user_id)
    codes = _codes(regions)
    form = {
        "display_name": display_name,
        "roles": roles,
        "regions": codes,
        "team_id": team_id,
        "skills": skills,
        "active": bool(active),
    }
    errors: dict[str, str] = {}
    if not roles:
        errors["roles"] = p.gettext("Choose at least one role.")
    elif not display_name.strip():
        errors["display_name"] = p.gettext("Enter a display name.")
    beyond = reach_problem(reach, current_roles=user.roles, roles=roles, regions=codes)
    if beyond is not None:
        field, message = _reach_error(p, beyond)
        return _edit_form(p, reach, user, form, {**errors, field: message}, 403)
    changes = {
        "display_name": display_name,
        "roles": roles,
        "regions": codes,
        "team_id": query_int(team_id),
        "skills": words(skills),
        "active": bool(active),
    }
    result = submit(
        p,
        errors,
        save=lambda: service.update_user(
            p.session, user_id=user.id, changes=changes, actor_id=p.principal.user_id, actor=reach
        ),
        form_page=lambda found: _edit_form(p, reach, _user(p, reach, user_id), form, found, 422),
        fields=FIELDS,
        default="display_name",
    )
    if isinstance(result, Response):
        return result
    changed(p, "update", f"user/{user.id}", revoked_tokens=result.revoked_tokens)
    message = p.gettext("User saved.")
    if result.revoked_tokens:
        message += " " + p.gettext("Their sessions were ended; they must log in again.")
    return p.redirect(f"/admin/users/{user.id}", flash=message)


@router.post("/{user_id}/password")
def reset_password(
    p: Annotated[Page, Depends(page)], user_id: int, password: Text = "", confirm: Text = ""
) -> Response:
    can_change(p)
    reach = user_reach(p.session, p.principal)
    user = _user(p, reach, user_id)
    beyond = reach_problem(reach, current_roles=user.roles)
    if beyond is not None:
        return _edit_form(p, reach, user, None, {"password": _reach_error(p, beyond)[1]}, 403)
    errors: dict[str, str] = {}
    problem = password_problem(password, username=user.username)
    if problem is not None:
        errors["password"] = _password_error(p, problem)
    elif password != confirm:
        errors["confirm"] = p.gettext("The two passwords differ.")
    saved = submit(
        p,
        errors,
        save=lambda: service.update_user(
            p.session,
            user_id=user.id,
            changes={"password": password},
            actor_id=p.principal.user_id,
            actor=reach,
        ),
        form_page=lambda found: _edit_form(p, reach, _user(p, reach, user_id), None, found, 422),
        fields={},
        default="password",
    )
    if isinstance(saved, Response):
        return saved
    changed(p, "reset_password", f"user/{user.id}")
    return p.redirect(f"/admin/users/{user.id}", flash=p.gettext("Password reset."))
