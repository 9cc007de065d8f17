"""Hostile input against every route of the API and the console (issue 17), on SQLite and PostgreSQL:
no answer may be a 5xx. The routes are enumerated from the application itself, so a new route is
fuzzed without being listed here; the query parameters are those the routes declare plus every name
the code reads from a query string or filters on (found in the sources, so a new filter is too).

Bounded for CI: a deterministic sweep gives every parameter of every GET route one hostile value,
then Hypothesis tries combinations (MANYI_FUZZ_EXAMPLES, default 120 per database and kind).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.api.query import OPERATORS, RESERVED
from tests.fixtures.api import Api
from tests.fixtures.console import Console

EXAMPLES = int(os.environ.get("MANYI_FUZZ_EXAMPLES", "120"))
SOURCES = Path(__file__).resolve().parents[2] / "manyi"
API_PREFIXES = ("/tmf-api/", "/api/")
SKIPPED = {"/static-vendor/plotly.min.js", "/logout", "/lang/{locale}"}  # a file; sign-out; a cookie

HOSTILE = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01",
    "2026-02-30T25:61:00+08:00",
    "2026-11-02T10:00:00+99:00",
    "²",
    "٣",
    "１２",
    "1²",
    "9" * 25,
    str(2**63),
    str(-(2**63) - 1),
    "-1",
    "0",
    "1e309",
    "nan",
    "-inf",
    "\x00",
    "GD\x00",
    "x" * 5000,
    "宽" * 3000,
    "",
    " ",
    ",,,",
    "a,b,c",
    "-",
    "true",
    "null",
    "%",
    "../../etc/passwd",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\u202e\ufeff",
]

# In path ids: the values that reach a database bind or a number parse.
PATH_HOSTILE = ["²", "٣", "9" * 25, str(2**63), str(-(2**63) - 1), "-1", "0", "\x00", "x" * 5000, "1e309", ""]


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    query: tuple[str, ...]  # declared query parameters (aliases)
    path_params: tuple[str, ...]
    body_fields: tuple[str, ...]
    package: Path  # where its endpoint lives: the query names read there are its own

    @property
    def api(self) -> bool:
        return self.path.startswith(API_PREFIXES) or self.path in ("/healthz", "/readyz", "/metrics")


def _params(dependant: Any) -> list[str]:
    names = [getattr(q.field_info, "alias", None) or q.name for q in dependant.query_params]
    for sub in dependant.dependencies:
        names += _params(sub)
    return names


def _body_fields(route: Any) -> list[str]:
    field = getattr(route, "body_field", None)
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    fields = getattr(annotation, "model_fields", {})
    return [info.alias or name for name, info in fields.items()]


def app_routes(app: Any) -> list[Route]:
    """Every HTTP route of the app, with FastAPI's included routers flattened."""
    found = []

    def walk(routes: Any) -> Any:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):
                yield from route.effective_route_contexts()
            elif isinstance(route, APIRoute):
                yield route

    for route in walk(app.routes):
        for method in sorted(route.methods):
            found.append(
                Route(
                    method,
                    route.path,
                    tuple(_params(route.dependant)),
                    tuple(p.name for p in route.dependant.path_params),
                    tuple(_body_fields(route)),
                    Path(sys.modules[route.endpoint.__module__].__file__ or "").parent,
                )
            )
    return found


@functools.cache
def vocabulary(package: Path = SOURCES) -> tuple[str, ...]:
    """Every query parameter name the code in package reads or filters on, found in the sources."""
    names: set[str] = set(RESERVED)
    for path in package.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        names.update(re.findall(r'(?:query_params|args)\.get\("([^"]+)"', source))
        attributes = re.findall(r'"([A-Za-z@][\w.@]*)": Attribute\(', source)
        names.update(attributes)
        names.update(f"{a}.{op}" for a in attributes for op in OPERATORS if op != "eq")
    return tuple(sorted(names))


def names_for(route: Route) -> list[str]:
    return sorted({*route.query, *vocabulary(route.package)})


@pytest.fixture
def world(api: Api, console: Console) -> dict[str, Any]:
    """Signed-in callers and real ids, so some requests reach past 'not found' into the queries."""
    created = api.client.post(
        "/tmf-api/troubleTicket/v4/troubleTicket",
        json={
            "description": "宽带无法上网",
            "severity": "minor",
            "ticketType": "fault",
            "region": {"id": "330106"},
        },
        headers=api.headers("admin"),
    )
    assert created.status_code == 201, created.text
    staff = [console.user(role) for role in ("admin", "agent", "technician", "supervisor", "dispatcher")]
    real = [
        created.json()["id"],
        str(api.operator.customer.id),
        str(api.operator.field_team.id),
        str(api.operator.agent.id),
        "office",
        "330106",
        "2026",
    ]
    return {"headers": api.headers("admin"), "client": api.client, "staff": staff, "real": real}


def _url(route: Route, path_values: dict[str, str], query: list[tuple[str, str]]) -> str:
    path = route.path
    for name in route.path_params:
        path = path.replace("{" + name + "}", quote(path_values.get(name, "1"), safe=""))
    return path + ("?" + urlencode(query) if query else "")


def _send(world: dict[str, Any], route: Route, url: str, staff_index: int = 0, **kwargs: Any) -> Any:
    # The test clients re-raise what the server did not handle: report it as that request's 500.
    try:
        if route.api:
            headers = kwargs.pop("headers", world["headers"])
            return world["client"].request(route.method, url, headers=headers, **kwargs)
        member = world["staff"][staff_index % len(world["staff"])]
        return member.client.request(route.method, url, follow_redirects=False, **kwargs)
    except Exception as exc:
        raise AssertionError(f"{route.method} {url[:200]} -> 500: {exc!r}"[:600]) from None


def _check(response: Any, route: Route, url: str) -> None:
    if route.path == "/readyz" and response.status_code == 503:
        return  # its answer on a schema no migration made (tests/ops/test_health.py)
    assert response.status_code < 500, (
        f"{route.method} {url[:200]} -> {response.status_code}: {response.text[:300]}"
    )
    if route.api and response.status_code >= 400:
        body = response.json()
        assert {"code", "reason", "message", "status"} <= set(body), body


def _get_routes() -> list[Route]:
    from manyi.app import create_app

    return [r for r in app_routes(create_app()) if r.method == "GET" and r.path not in SKIPPED]


def test_the_enumeration_sees_api_and_console_routes() -> None:
    paths = {r.path for r in _get_routes()}
    assert {"/tmf-api/troubleTicket/v4/troubleTicket", "/orders", "/board", "/admin/users/{user_id}"} <= paths
    names = vocabulary()
    assert {"creationDate.gte", "relatedParty.id", "team", "offset", "createdAt.gte", "vipLevel"} <= set(
        names
    )


def test_every_get_parameter_once_with_a_hostile_value(world: dict[str, Any]) -> None:
    values = itertools.cycle(HOSTILE)
    for route in _get_routes():
        for name in names_for(route):
            value = next(values)
            url = _url(route, {p: next(values) for p in route.path_params}, [(name, value)])
            _check(_send(world, route, url), route, url)
        for hostile in PATH_HOSTILE:  # and every path id with each value that could reach a bind
            if route.path_params:
                url = _url(route, dict.fromkeys(route.path_params, hostile), [])
                _check(_send(world, route, url), route, url)


def test_get_routes_under_hypothesis(world: dict[str, Any]) -> None:
    routes = _get_routes()
    value = st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from(world["real"]),
        st.integers().map(str),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(routes), label="route")
        path_values = {p: data.draw(value, label=p) for p in route.path_params}
        keys = st.sampled_from(names_for(route))
        query = data.draw(st.lists(st.tuples(keys, value), max_size=4), label="query")
        url = _url(route, path_values, query)
        _check(_send(world, route, url, data.draw(st.integers(0, 4))), route, url)

    probe()


def _body_routes() -> list[Route]:
    from manyi.app import create_app

    return [
        r
        for r in app_routes(create_app())
        if r.api and r.method in ("POST", "PATCH", "PUT") and not r.path.endswith("/auth/token")
    ]


JSON_MEDIA = ("application/json", "application/merge-patch+json")


def test_deep_json_on_every_api_body_route(world: dict[str, Any]) -> None:
    for route in _body_routes():
        url = _url(route, dict.fromkeys(route.path_params, world["real"][0]), [])
        for media in JSON_MEDIA:
            for body in (_deep(100_000), '{"a": ' + _deep(100_000) + "}", '{"name": "a\\u0000b"}'):
                headers = {**world["headers"], "Content-Type": media}
                _check(_send(world, route, url, content=body, headers=headers), route, url)


def test_api_bodies_under_hypothesis(world: dict[str, Any]) -> None:
    routes = _body_routes()
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.sampled_from(HOSTILE),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(routes), label="route")
        keys = st.sampled_from([*route.body_fields, "id", "name", "description", "team", "region", "@type"])
        nested = st.recursive(
            leaf,
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
            max_leaves=8,
        )
        body = data.draw(st.dictionaries(keys, nested, max_size=5), label="body")
        real = data.draw(st.sampled_from(world["real"]), label="id")
        url = _url(route, dict.fromkeys(route.path_params, real), [])
        media = data.draw(st.sampled_from(JSON_MEDIA))
        content = json.dumps(body, ensure_ascii=False, allow_nan=True)
        headers = {**world["headers"], "Content-Type": media}
        _check(_send(world, route, url, content=content, headers=headers), route, url)

    probe()
