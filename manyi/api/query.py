"""TMF630 list conventions: fields selection, paging, sorting and attribute filters.

`?status=inProgress,pending` is an OR-list, `?creationDate.gte=2026-11-01T00:00:00+08:00` a
comparison, `?relatedParty.id=42` a dotted path; `fields=none` returns only id/href/@type.
Each resource declares which attributes can be filtered and sorted and how they map to SQL; an
attribute it does not declare is refused with a 400 naming it, rather than silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import ColumnElement, Select, and_, or_

from manyi.api.errors import ApiError, BadUrl
from manyi.core.limits import QUERY_VALUE_MAX, is_whole_number, whole_number

RESERVED = frozenset({"fields", "offset", "limit", "sort"})
OPERATORS = ("gt", "gte", "lt", "lte", "eq")
DEFAULT_LIMIT = 100
# A page of at most 1,000 resources: with text fields bounded (manyi.core.limits) a page of tickets
# stays within a few MB; beyond that a client pages with offset.
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
ALWAYS = ("id", "href", "@type")
INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Filter:
    path: str
    op: str
    values: tuple[str, ...]


@dataclass
class ListQuery:
    fields: frozenset[str] | None = None  # None: every field; empty: only id/href/@type
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (path, descending)
    filters: list[Filter] = field(default_factory=list)


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return whole_number(raw, name, low=low, high=high)


def parse_int(value: str, name: str) -> int:
    """A filter value for an integer attribute (ids, levels, priorities): within 64 bits."""
    return whole_number(value, name)


def clean_url(request: Request) -> None:
    """Refuse, for every route, a URL no resource or filter could match: a NUL character in the path
    or a query parameter (PostgreSQL refuses it in any text), a path id beyond 64 bits, or a query
    value longer than any field (a search box, a comma-separated list of ids)."""
    if "\x00" in request.url.path:
        raise BadUrl("path: must not contain a NUL character", field="path")
    for name, value in request.path_params.items():
        # An integer id beyond 64 bits names no row, and SQLite cannot even bind it.
        if isinstance(value, str) and INTEGER.fullmatch(value) and not is_whole_number(value):
            raise BadUrl(f"{name}: expected an id within 64 bits, got {len(value)} characters", field=name)
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise BadUrl(f"{name}: must not contain a NUL character", field=name)
        if len(value) > QUERY_VALUE_MAX:
            raise BadUrl(
                f"{name}: at most {QUERY_VALUE_MAX} characters allowed, got {len(value)}", field=name
            )


def parse_fields(raw: str | None) -> frozenset[str] | None:
    if raw is None or raw.strip() == "":
        return None
    if raw.strip() == "none":
        return frozenset()
    return frozenset(p.strip().split(".")[0] for p in raw.split(",") if p.strip())


def parse_list_query(params: Any) -> ListQuery:
    """Read TMF630 parameters from a query string (repeated attributes AND together)."""
    query = ListQuery(
        fields=parse_fields(params.get("fields")),
        offset=_int(params, "offset", 0, 0, MAX_OFFSET),
        limit=_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
    )
    for part in (params.get("sort") or "").split(","):
        part = part.strip()
        if part:
            query.sort.append((part.lstrip("-+"), part.startswith("-")))
    for key, value in params.multi_items():
        if key in RESERVED:
            continue
        path, op = key, "eq"
        head, _, tail = key.rpartition(".")
        if head and tail in OPERATORS:
            path, op = head, tail
        values = tuple(v for v in (s.strip() for s in value.split(",")) if v)
        if not values:
            raise ApiError(400, f"{key}: expected a value", field=key)
        query.filters.append(Filter(path, op, values))
    return query


def parse_datetime(value: str, name: str) -> datetime:
    """An ISO 8601 date-time with an offset, naming an instant from year 1 to 9999 in UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, f"{name}: expected an ISO 8601 date-time with offset, got {value!r}", field=name
        ) from None
    if parsed.tzinfo is None:
        raise ApiError(
            400, f"{name}: expected a date-time with an offset (e.g. +08:00), got {value!r}", field=name
        )
    try:
        # 9999-12-31T23:59:59-14:00 is a valid string but no instant Python can hold in UTC, where
        # every stored time is compared.
        parsed.astimezone(UTC)
    except OverflowError:
        raise ApiError(
            400, f"{name}: expected a date-time from year 1 to 9999 in UTC, got {value!r}", field=name
        ) from None
    return parsed


def parse_bool(value: str, name: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ApiError(400, f"{name}: expected true or false, got {value!r}", field=name)


@dataclass(frozen=True)
class Attribute:
    """A filterable/sortable attribute: its SQL expression and how to read a query value for it."""

    column: Any
    parse: Callable[[str, str], Any] = lambda v, _n: v
    comparable: bool = False  # allows .gt/.gte/.lt/.lte
    custom: Callable[[str, tuple[Any, ...]], ColumnElement[bool]] | None = None  # (op, values) -> clause


def filter_clause(attributes: Mapping[str, Attribute], f: Filter) -> ColumnElement[bool]:
    attribute = attributes.get(f.path)
    if attribute is None:
        known = ", ".join(sorted(attributes))
        raise ApiError(400, f"{f.path}: not a filterable attribute; use one of {known}", field=f.path)
    name = f.path if f.op == "eq" else f"{f.path}.{f.op}"
    values = tuple(attribute.parse(v, name) for v in f.values)
    if f.op != "eq" and not attribute.comparable:
        raise ApiError(
            400, f"{name}: {f.path} cannot be compared with .{f.op}; use {f.path}=value", field=name
        )
    if attribute.custom is not None:
        return attribute.custom(f.op, values)
    column = attribute.column
    if f.op == "eq":
        return column == values[0] if len(values) == 1 else column.in_(values)
    compare = {"gt": column.__gt__, "gte": column.__ge__, "lt": column.__lt__, "lte": column.__le__}[f.op]
    return or_(*(compare(v) for v in values)) if len(values) > 1 else compare(values[0])


def apply(statement: Select[Any], attributes: Mapping[str, Attribute], query: ListQuery) -> Select[Any]:
    """Add the query's filters (AND of attributes, OR within one) to statement."""
    clauses = [filter_clause(attributes, f) for f in query.filters]
    return statement.where(and_(*clauses)) if clauses else statement


def order_by(
    statement: Select[Any], attributes: Mapping[str, Attribute], query: ListQuery, tiebreak: Any
) -> Select[Any]:
    """Sort by the requested attributes, then by the primary key so pages are stable."""
    columns = []
    for path, descending in query.sort:
        attribute = attributes.get(path)
        if attribute is None or attribute.custom is not None:
            known = ", ".join(sorted(k for k, a in attributes.items() if a.custom is None))
            raise ApiError(400, f"sort: cannot sort by {path!r}; use one of {known}", field="sort")
        columns.append(attribute.column.desc() if descending else attribute.column.asc())
    columns.append(tiebreak.desc() if query.sort and query.sort[-1][1] else tiebreak.asc())
    return statement.order_by(*columns)


def select_fields(document: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    """Keep the requested top-level fields (and always id, href, @type)."""
    if fields is None:
        return document
    return {k: v for k, v in document.items() if k in fields or k in ALWAYS}
