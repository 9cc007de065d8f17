"""/admin/users: staff accounts — list (by role and team, paginated), create, change roles, regions,
team and active flag, reset the password. Passwords are never shown, only whether one is set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response
from sqlalchemy import String, cast, select

from manyi.auth.permissions import ROLES
from manyi.console.admin_common import (
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
from manyi.core.errors import NotFound
from manyi.org import service
from manyi.org.models import Team, User
from manyi.org.reference import team_name

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


def _roles() -> list[tuple[str, str]]:
    return [(r, label("role", r)) for r in ROLES]


@router.get("")
def list_users(
    p: Annotated[Page, Depends(page)],
    role: str = "",
    team: str = "",
    pageno: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    can_view(p)
    number = page_number(pageno)
    query = select(User).order_by(User.username, User.id)
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
        roles=_roles(),
        team_name=lambda team_id: team_name(p.session, team_id) or "",
    )


def _new_form(p: Page, form: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    return p.render(
        "admin/user_new.html", status_code=status, form=form, errors=errors, teams=_teams(p), roles=_roles()
    )


@router.get("/new")
def new_user(p: Annotated[Page, Depends(page)]) -> Response:
    can_change(p)
    blank = {"username": "", "display_name": "", "roles": [], "regions": "", "team_id": "", "skills": ""}
    return _new_form(p, blank, {})


@router.post("/new")
def create_user(
    p: Annotated[Page, Depends(page)],
    username: Text = "",
    display_name: Text = "",
    roles: Many = [],  # noqa: B006 - FastAPI copies form defaults
    regions: Text = "",
    team_id: Text = "",
    skills: Text = "",
    password: Text = "",
) -> Response:
    can_change(p)
    form = {
        "username": username,
        "display_name": display_name,
        "roles": roles,
        "regions": regions,
        "team_id": team_id,
        "skills": skills,
    }
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = p.gettext("Enter a user name.")
    if not roles:
        errors["roles"] = p.gettext("Choose at least one role.")
    if len(password) < service.MIN_PASSWORD_LENGTH:
        errors["password"] = p.gettext("The password needs at least 8 characters.")
    user = submit(
        p,
        errors,
        save=lambda: service.create_user(
            p.session,
            username=username,
            display_name=display_name or None,
            roles=roles,
            regions=words(regions),
            team_id=query_int(team_id),
            skills=words(skills),
            password=password,
        ),
        form_page=lambda found: _new_form(p, form, found, 422),
        fields=FIELDS,
        default="username",
    )
    if isinstance(user, Response):
        return user
    changed(p, "create", f"user/{user.id}", roles=user.roles, regions=user.regions)
    return p.redirect(f"/admin/users/{user.id}", flash=p.gettext("User created."))


def _user(p: Page, user_id: int) -> User:
    user = p.session.get(User, user_id)
    if user is None:
        raise NotFound(p.gettext("No such user."))
    return user


def _edit_form(
    p: Page,
    user: User,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    form = form or {
        "display_name": user.display_name,
        "roles": list(user.roles),
        "regions": ", ".join(user.regions),
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
        teams=_teams(p),
        roles=_roles(),
        editable=p.can("config:write"),
    )


@router.get("/{user_id}")
def edit_user(p: Annotated[Page, Depends(page)], user_id: int) -> Response:
    can_view(p)
    return _edit_form(p, _user(p, user_id))


@router.post("/{user_id}")
def update_user(
    p: Annotated[Page, Depends(page)],
    user_id: int,
    display_name: Text = "",
    roles: Many = [],  # noqa: B006
    regions: Text = "",
    team_id: Text = "",
    skills: Text = "",
    active: Text = "",
) -> Response:
    can_change(p)
    user = _user(p, user_id)
    form = {
        "display_name": display_name,
        "roles": roles,
        "regions": regions,
        "team_id": team_id,
        "skills": skills,
        "active": bool(active),
    }
    errors: dict[str, str] = {}
    if not roles:
        errors["roles"] = p.gettext("Choose at least one role.")
    elif not display_name.strip():
        errors["display_name"] = p.gettext("Enter a display name.")
    changes = {
        "display_name": display_name,
        "roles": roles,
        "regions": words(regions),
        "team_id": query_int(team_id),
        "skills": words(skills),
        "active": bool(active),
    }
    result = submit(
        p,
        errors,
        save=lambda: service.update_user(
            p.session, user_id=user.id, changes=changes, actor_id=p.principal.user_id
        ),
        form_page=lambda found: _edit_form(p, _user(p, user_id), form, found, 422),
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
    user = _user(p, user_id)
    errors: dict[str, str] = {}
    if len(password) < service.MIN_PASSWORD_LENGTH:
        errors["password"] = p.gettext("The password needs at least 8 characters.")
    elif password != confirm:
        errors["confirm"] = p.gettext("The two passwords differ.")
    saved = submit(
        p,
        errors,
        save=lambda: service.update_user(
            p.session, user_id=user.id, changes={"password": password}, actor_id=p.principal.user_id
        ),
        form_page=lambda found: _edit_form(p, _user(p, user_id), None, found, 422),
        fields={},
        default="password",
    )
    if isinstance(saved, Response):
        return saved
    changed(p, "reset_password", f"user/{user.id}")
    return p.redirect(f"/admin/users/{user.id}", flash=p.gettext("Password reset."))
