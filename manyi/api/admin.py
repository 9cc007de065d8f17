"""Plumbing shared by the admin API under /api/v1 (policies, calendars, routing, teams, users):
body models and media types, ETags and If-Match, TMF630 lists, and the record of who changed what."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, ClassVar, Protocol

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from manyi.api.errors import ApiError
from manyi.api.query import Attribute, apply, order_by, parse_list_query, select_fields
from manyi.core.errors import NotFound, StaleVersion
from manyi.core.limits import whole_number
from manyi.core.logging import get_logger

log = get_logger("manyi.admin")
MERGE_PATCH = "application/merge-patch+json"
TAG = "admin 管理"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text}
    for code, text in {
        409: "Conflict: a duplicate name, or calendar data missing / 名称重复或缺少日历数据",
        412: "Changed by someone else (stale If-Match) / 已被他人修改",
    }.items()
}


class _Actor(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def user_id(self) -> int: ...


class Caller(Protocol):
    """What the toolkit needs of a request context (manyi.auth.deps.Ctx): api/ imports no concept."""

    @property
    def session(self) -> Session: ...
    @property
    def principal(self) -> _Actor: ...


def _numeric_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# A reference's id as TMF writes it (a string); a bare number is accepted too.
IdText = Annotated[str, BeforeValidator(_numeric_text), Field(pattern=r"^[0-9]{1,9}$")]


class Input(BaseModel):
    """A request body: camelCase names, unknown names refused, read-only names called so."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid")
    READ_ONLY: ClassVar[frozenset[str]] = frozenset({"id", "href", "version"})

    @model_validator(mode="before")
    @classmethod
    def _refuse_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key in cls.READ_ONLY:
                    raise PydanticCustomError("read_only", "{key} is read-only", {"key": key})
            # A TMF client echoes @type; it names the resource, which the URL already does.
            data = {k: v for k, v in data.items() if k != "@type"}
        return data


class Ref(BaseModel):
    """A reference to another resource by id."""

    model_config = ConfigDict(extra="ignore")
    id: IdText


def selectable(schema: dict[str, Any]) -> None:
    """A resource's JSON schema as `fields=` shapes it: only id and href are sure to be present."""
    schema["required"] = [name for name in schema.get("required", []) if name in ("id", "href")]


class Resource(BaseModel):
    """A resource document: camelCase names, fields selectable with `fields=`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, json_schema_extra=selectable)


class RefOut(BaseModel):
    id: str
    href: str | None = None
    name: str | None = None


def changes(body: BaseModel, renames: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fields a merge patch names (null included), under service names (renames: field -> key)."""
    out: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if isinstance(value, Ref):
            value = int(value.id)
        out[(renames or {}).get(name, name)] = value
    return out


def not_null(body: BaseModel, *names: str) -> None:
    """Refuse null for fields a merge patch may change but not remove."""
    for name in names:
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ApiError(400, f"{to_camel(name)}: cannot be null", field=to_camel(name))


def media_type(expected: str) -> Any:
    """A route dependency: the body must be of this media type (else 415)."""

    def check(request: Request) -> None:
        got = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if got != expected:
            raise ApiError(415, f"Content-Type: expected {expected}, got {got or 'none'}")

    return Depends(check)


JSON_BODY = [media_type("application/json")]
PATCH_BODY = [media_type(MERGE_PATCH)]


def numeric_id(value: str, what: str) -> int:
    """A path id; anything but a plausible number is simply not found."""
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise NotFound(f"{what} {value} does not exist")
    return int(value)


def int_param(value: str, name: str) -> int:
    """A whole-number filter value (within the id columns' range)."""
    return whole_number(value, name, low=-(10**9), high=10**9)


def version_etag(version: int) -> str:
    return f'"{version}"'


def content_etag(values: Mapping[str, Any]) -> str:
    """An ETag for a resource without a version column: a digest of its stored values."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:16]}"'


def check_if_match(if_match: str | None, etag: str, what: str) -> None:
    """412 when If-Match names none of the resource's current ETag (or *)."""
    if if_match is None:
        return
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if "*" not in wanted and etag.strip('"') not in wanted:
        raise StaleVersion(f"{what} was changed since {if_match.strip()} (now {etag}); reload it")


def reply(
    document: Mapping[str, Any],
    *,
    etag: str | None = None,
    status: int = 200,
    fields: frozenset[str] | None = None,
) -> JSONResponse:
    headers = {"ETag": etag} if etag else {}
    if status == 201:
        headers["Location"] = str(document["href"])
    return JSONResponse(select_fields(dict(document), fields), status_code=status, headers=headers)


def list_page(
    request: Request,
    c: Caller,
    *,
    model: Any,
    attributes: Mapping[str, Attribute],
    tiebreak: Any,
    default_sort: Iterable[tuple[str, bool]] = (),
    documents: Callable[[list[Any]], list[dict[str, Any]]],
    where: Callable[[Select[Any]], Select[Any]] = lambda s: s,
) -> JSONResponse:
    """A TMF630 list: filters, sort (or default_sort), offset/limit, fields, total/result counts."""
    query = parse_list_query(request.query_params)
    if not query.sort:
        query.sort = list(default_sort)
    statement = apply(where(select(model)), attributes, query)
    total = c.session.scalar(apply(where(select(func.count()).select_from(model)), attributes, query)) or 0
    rows = list(
        c.session.scalars(
            order_by(statement, attributes, query, tiebreak).offset(query.offset).limit(query.limit)
        )
    )
    docs = [select_fields(d, query.fields) for d in documents(rows)]
    return JSONResponse(docs, headers={"X-Total-Count": str(total), "X-Result-Count": str(len(docs))})


def audit(
    c: Caller,
    *,
    action: str,
    resource: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **extra: Any,
) -> None:
    """Record who changed which admin resource, before and after (an audit module will read these)."""
    log.info(
        "admin_change",
        user=c.principal.username,
        user_id=c.principal.user_id,
        action=action,
        resource=resource,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        **extra,
    )
