"""`/api/v1/teams` and `/api/v1/users`: the admin's teams and staff accounts."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, String, cast, or_, select

from manyi.api.admin import (
    ERRORS,
    JSON_BODY,
    MERGE_PATCH,
    PATCH_BODY,
    TAG,
    RefOut,
    audit,
    changes,
    check_if_match,
    content_etag,
    int_param,
    list_page,
    not_null,
    numeric_id,
    reply,
    version_etag,
)
from manyi.api.errors import ApiError
from manyi.api.query import Attribute, parse_bool, parse_datetime, parse_fields
from manyi.auth.deps import Ctx, ctx
from manyi.auth.permissions import ROLES
from manyi.auth.service import user_reach
from manyi.core.errors import NotFound
from manyi.core.masking import mask_phone
from manyi.org import service
from manyi.org.models import Team, User
from manyi.org.reference import team_name, user_index
from manyi.org.schemas import TeamCreate, TeamOut, TeamUpdate, UserCreate, UserOut, UserUpdate, UserWritten

TEAMS = "/api/v1/teams"
USERS = "/api/v1/users"
router = APIRouter(prefix="/api/v1", tags=[TAG], responses=ERRORS)


# ----- teams ------------------------------------------------------------------------------------


TEAM_RENAMES = {"department": "department_id", "lead": "lead_user_id", "calendar": "calendar_name"}


def _team_stored(team: Team) -> dict[str, Any]:
    return {key: getattr(team, key) for key in sorted(service.TEAM_CHANGEABLE)}


def _team_documents(c: Ctx, teams: list[Team]) -> list[dict[str, Any]]:
    ids = [t.id for t in teams]
    members = service.team_member_counts(c.session, team_ids=ids)
    departments = service.department_names(c.session, department_ids=[t.department_id for t in teams])
    users = user_index(c.session)
    docs = []
    for t in teams:
        lead = users.get(t.lead_user_id) if t.lead_user_id else None
        docs.append(
            TeamOut(
                id=str(t.id),
                href=f"{TEAMS}/{t.id}",
                name=t.name,
                department=RefOut(id=str(t.department_id), name=departments.get(t.department_id)),
                region_code=t.region_code,
                lead=RefOut(id=str(lead.id), href=f"{USERS}/{lead.id}", name=lead.display_name)
                if lead
                else None,
                calendar=t.calendar_name,
                member_count=members.get(t.id, 0),
            ).model_dump(by_alias=True)
        )
    return docs


@router.get(
    "/teams",
    summary="List teams / 查询班组",
    description="TMF630 lists: filters `id`, `name`, `department.id`, `regionCode`, `calendar`; default sort "
    "`name`.\n\n列出班组。",
    response_model=list[TeamOut],
)
def list_teams(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:read")
    attributes = {
        "id": Attribute(Team.id, parse=int_param),
        "name": Attribute(Team.name),
        "department.id": Attribute(Team.department_id, parse=int_param),
        "regionCode": Attribute(Team.region_code),
        "calendar": Attribute(Team.calendar_name),
    }
    return list_page(
        request,
        c,
        model=Team,
        attributes=attributes,
        tiebreak=Team.id,
        default_sort=[("name", False)],
        documents=lambda rows: _team_documents(c, rows),
    )


def _team(c: Ctx, id: str, *, lock: bool = False) -> Team:
    team_id = numeric_id(id, "team")
    query = select(Team).where(Team.id == team_id)
    # Teams have no version column: hold the row while If-Match is checked and the change made.
    team = c.session.scalars(query.with_for_update() if lock else query).first()
    if team is None:
        raise NotFound(f"team {id} does not exist")
    return team


@router.get("/teams/{id}", summary="Get a team / 查看班组", response_model=TeamOut)
def get_team(id: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    c.require("config:read")
    team = _team(c, id)
    return reply(
        _team_documents(c, [team])[0], etag=content_etag(_team_stored(team)), fields=parse_fields(fields)
    )


@router.post(
    "/teams",
    status_code=201,
    summary="Create a team / 新建班组",
    response_model=TeamOut,
    dependencies=JSON_BODY,
)
def create_team(body: TeamCreate, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:write")
    team = service.create_team(
        c.session,
        name=body.name,
        department_id=int(body.department.id),
        region_code=body.region_code,
        lead_user_id=int(body.lead.id) if body.lead else None,
        calendar_name=body.calendar,
    )
    document = _team_documents(c, [team])[0]
    c.session.commit()
    audit(c, action="create", resource=f"team/{team.id}", after=document)
    return reply(document, etag=content_etag(_team_stored(team)), status=201)


@router.patch(
    "/teams/{id}",
    summary="Change a team / 修改班组",
    description=f"`{MERGE_PATCH}`: `name`, `department`, `regionCode`, `lead`, `calendar` (null: the region's "
    "or default; applies to clocks started from now on). `If-Match` refuses a stale change (412).\n\n修改班组。",
    response_model=TeamOut,
    dependencies=PATCH_BODY,
)
def patch_team(
    id: str,
    body: Annotated[TeamUpdate, Body(media_type=MERGE_PATCH)],
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    c.require("config:write")
    team = _team(c, id, lock=True)
    check_if_match(if_match, content_etag(_team_stored(team)), f"team {id}")
    not_null(body, "name", "department")
    before = _team_documents(c, [team])[0]
    service.update_team(c.session, team_id=team.id, changes=changes(body, TEAM_RENAMES))
    after = _team_documents(c, [team])[0]
    c.session.commit()
    audit(c, action="update", resource=f"team/{team.id}", before=before, after=after)
    return reply(after, etag=content_etag(_team_stored(team)))


# ----- users ------------------------------------------------------------------------------------


def _user_document(c: Ctx, user: User, *, pii: bool | None = None) -> dict[str, Any]:
    pii = c.principal.can("pii:read") if pii is None else pii
    team = (
        RefOut(id=str(user.team_id), href=f"{TEAMS}/{user.team_id}", name=team_name(c.session, user.team_id))
        if user.team_id
        else None
    )
    return UserOut(
        id=str(user.id),
        href=f"{USERS}/{user.id}",
        username=user.username,
        display_name=user.display_name,
        roles=list(user.roles),
        regions=list(user.regions),
        skills=list(user.skills or []),
        team=team,
        phone=user.phone if pii else mask_phone(user.phone),
        email=user.email,
        active=user.active,
        has_password=user.password_hash is not None,
        created_at=user.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        version=user.version,
    ).model_dump(by_alias=True)


def _role(op: str, values: tuple[Any, ...]) -> ColumnElement[bool]:
    for role in values:
        if role not in ROLES:
            raise ApiError(
                400, f"role: unknown role {role!r}; expected one of {', '.join(ROLES)}", field="role"
            )
    # roles is a JSON list: match the quoted name in its text, which is the same on SQLite and PostgreSQL.
    text = cast(User.roles, String)
    return or_(*(text.like(f'%"{role}"%') for role in values))


USER_ATTRIBUTES = {
    "id": Attribute(User.id, parse=int_param),
    "username": Attribute(User.username),
    "displayName": Attribute(User.display_name),
    "active": Attribute(User.active, parse=parse_bool),
    "team.id": Attribute(User.team_id, parse=int_param),
    "role": Attribute(User.roles, custom=_role),
    "createdAt": Attribute(User.created_at, parse=parse_datetime, comparable=True),
}


@router.get(
    "/users",
    summary="List users / 查询用户",
    description="TMF630 lists: filters `id`, `username`, `displayName`, `active`, `team.id`, `role`, "
    "`createdAt` (comparable); default sort `username`. Password hashes are never returned; phone numbers "
    "are masked without pii:read. A caller scoped to regions lists only users whose regions all lie inside "
    "their own (a user of all regions is listed to all-regions callers only).\n\n列出员工账号（仅限本人辖区内的账号）。",
    response_model=list[UserOut],
)
def list_users(request: Request, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:read")
    reach = user_reach(c.session, c.principal)
    visible = None if reach.scope is None else service.visible_user_ids(c.session, actor=reach)
    return list_page(
        request,
        c,
        model=User,
        attributes=USER_ATTRIBUTES,
        tiebreak=User.id,
        default_sort=[("username", False)],
        documents=lambda rows: [_user_document(c, u) for u in rows],
        where=lambda s: s if visible is None else s.where(User.id.in_(visible)),
    )


def _user(c: Ctx, id: str) -> User:
    """The user, when inside the caller's regions (else 404, so its existence does not leak)."""
    reach = user_reach(c.session, c.principal)
    return service.visible_user(c.session, user_id=numeric_id(id, "user"), actor=reach)


@router.get("/users/{id}", summary="Get a user / 查看用户", response_model=UserOut)
def get_user(id: str, c: Annotated[Ctx, Depends(ctx)], fields: str | None = None) -> JSONResponse:
    c.require("config:read")
    user = _user(c, id)
    return reply(_user_document(c, user), etag=version_etag(user.version), fields=parse_fields(fields))


@router.post(
    "/users",
    status_code=201,
    summary="Create a user / 新建用户",
    description="`username` and `roles` are required; no `regions` means all regions. `password` is optional "
    "(system accounts use API keys), must keep the password policy and is stored as an argon2 hash. A caller "
    "grants only roles whose permissions they have and regions inside their own (403 otherwise; all regions "
    "only from an all-regions caller).\n\n新建员工账号，密码须符合密码策略，以 argon2 存储；只能授予本人具备的角色与辖区。",
    response_model=UserWritten,
    dependencies=JSON_BODY,
)
def create_user(body: UserCreate, c: Annotated[Ctx, Depends(ctx)]) -> JSONResponse:
    c.require("config:write")
    user = service.create_user(
        c.session,
        username=body.username,
        display_name=body.display_name,
        roles=body.roles,
        regions=body.regions,
        skills=body.skills,
        team_id=int(body.team.id) if body.team else None,
        phone=body.phone,
        email=body.email,
        password=body.password,
        actor=user_reach(c.session, c.principal),
    )
    logged = _user_document(c, user, pii=False)
    response = reply(
        _user_document(c, user) | {"revokedTokens": 0}, etag=version_etag(user.version), status=201
    )
    c.session.commit()  # rendered in the writing transaction, sent (and logged) once committed
    audit(c, action="create", resource=f"user/{user.id}", after=logged)
    return response


@router.patch(
    "/users/{id}",
    summary="Change a user / 修改用户",
    description=f"`{MERGE_PATCH}`: `displayName`, `roles`, `regions`, `skills`, `team` (null: none), `phone`, "
    "`email`, `active`, `password`. Disabling a user or changing their roles, regions or password revokes "
    "their tokens at once (`revokedTokens`); nobody changes their own roles, regions or active flag. "
    "`If-Match` refuses a stale change (412). A user outside the caller's regions is 404; granting a role or "
    "region beyond the caller's own, or changing a user whose role gives permissions the caller lacks, is 403."
    "\n\n修改账号；停用或变更角色、区域、密码时立即吊销其令牌；辖区外账号视为不存在。",
    response_model=UserWritten,
    dependencies=PATCH_BODY,
)
def patch_user(
    id: str,
    body: Annotated[UserUpdate, Body(media_type=MERGE_PATCH)],
    c: Annotated[Ctx, Depends(ctx)],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JSONResponse:
    c.require("config:write")
    user = _user(c, id)
    check_if_match(if_match, version_etag(user.version), f"user {id}")
    not_null(body, "display_name", "roles", "regions", "skills", "active", "password")
    before = _user_document(c, user, pii=False)
    result = service.update_user(
        c.session,
        user_id=user.id,
        changes=changes(body, {"team": "team_id"}),
        actor_id=c.principal.user_id,
        actor=user_reach(c.session, c.principal),
    )
    after = _user_document(c, user, pii=False)
    document = _user_document(c, user) | {"revokedTokens": result.revoked_tokens}
    response = reply(document, etag=version_etag(user.version))
    c.session.commit()
    audit(
        c,
        action="update",
        resource=f"user/{user.id}",
        before=before,
        after=after,
        password_changed="password" in body.model_fields_set,
        revoked_tokens=result.revoked_tokens,
    )
    return response
