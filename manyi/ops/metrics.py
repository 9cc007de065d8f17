"""Prometheus metrics at /metrics: HTTP traffic by route template, and the state of the background
work read from the database at scrape time (outbox backlog, SLA clocks due and overdue, worker lag,
failed deliveries). Series and their meaning: docs/operations.md.

Who may read them: clients from `metrics_allowed_networks` (default this machine only) or bearers of
`metrics_token` (manyi.core.settings); anyone else gets 403.

With several HTTP worker processes (`manyi serve --workers N`), PROMETHEUS_MULTIPROC_DIR makes the
HTTP series add up over all of them (prometheus_client's multiprocess mode; `manyi serve` sets it).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from datetime import datetime
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from manyi.api.errors import UNAVAILABLE, ApiError
from manyi.core.clock import now
from manyi.core.db import session_factory
from manyi.core.logging import get_logger
from manyi.core.settings import get_settings
from manyi.ops.heartbeat import last_pass_at
from manyi.outbox.models import OutboxMessage
from manyi.sla.models import SlaClock

log = get_logger(__name__)
router = APIRouter(tags=["operations 运维"])

# The HTTP series live in a registry of their own (not prometheus_client's global one), so they are
# exactly Manyi's and the test suite's many apps share one set.
HTTP_REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "manyi_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=HTTP_REGISTRY,
)
LATENCY = Histogram(
    "manyi_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=HTTP_REGISTRY,
)
UNMATCHED = "unmatched"  # requests no route took (404s): one label, never the raw path


class HttpMetrics:
    """ASGI middleware: count and time every HTTP request under its route's template
    (/orders/{number}, never /orders/GD2026…, which would make a series per order)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler is answered 500 by the server

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            route = _template(scope)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)


def _template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED)


class BackgroundWork(Collector):
    """Gauges read from the database at each scrape; manyi_database_up 0 when it cannot be read."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("manyi_database_up", "1 when the database answered this scrape, else 0.")
        try:
            families = list(_background_families(now()))
        except UNAVAILABLE as exc:
            log.warning("metrics: database unavailable", error=(str(exc).splitlines() or [""])[0][:200])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _background_families(at: datetime) -> Iterator[Metric]:
    with session_factory()() as session:
        waiting = OutboxMessage.available_at.is_not(None)
        backlog, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(waiting)
        ).one()
        failing = session.scalar(select(func.count()).where(waiting, OutboxMessage.last_error.is_not(None)))
        running = SlaClock.state == "running"
        due = dict(
            session.execute(
                select(SlaClock.kind, func.count())
                .where(running, SlaClock.next_check_at <= at)
                .group_by(SlaClock.kind)
            ).all()
        )
        overdue = dict(
            session.execute(
                select(SlaClock.kind, func.count())
                .where(running, SlaClock.due_at < at)
                .group_by(SlaClock.kind)
            ).all()
        )
        last_pass = last_pass_at(session)

    yield _gauge("manyi_outbox_backlog", "Outbox messages not yet delivered (due or backing off).", backlog)
    yield _gauge(
        "manyi_outbox_oldest_age_seconds",
        "Age of the oldest undelivered outbox message (0 when none waits).",
        (at - oldest).total_seconds() if oldest is not None else 0.0,
    )
    yield _gauge(
        "manyi_outbox_failed_deliveries",
        "Undelivered outbox messages whose last delivery attempt failed (retried with backoff).",
        failing or 0,
    )
    yield _by_kind(
        "manyi_sla_clocks_due",
        "Running SLA clocks whose next step (warning, breach, escalation) is due now: the worker's to-do.",
        due,
    )
    yield _by_kind(
        "manyi_sla_clocks_overdue", "Running SLA clocks past their deadline (breached, open).", overdue
    )
    yield _gauge(
        "manyi_worker_last_pass_age_seconds",
        "Seconds since a worker last finished a pass (+Inf when no worker ever ran).",
        (at - last_pass).total_seconds() if last_pass is not None else float("inf"),
    )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


CLOCK_KINDS = ("first_contact", "appointment", "response", "resolution")


def _by_kind(name: str, documentation: str, counts: dict[str, int]) -> GaugeMetricFamily:
    """One series per clock kind, 0 included, so a dashboard sees the kind before its first clock."""
    family = GaugeMetricFamily(name, documentation, labels=["kind"])
    for kind in sorted({*CLOCK_KINDS, *counts}):
        family.add_metric([kind], float(counts.get(kind, 0)))
    return family


@cache
def _scrape_registry(multiprocess_dir: str | None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_Forward(HTTP_REGISTRY))
    registry.register(BackgroundWork())
    return registry


class _Forward(Collector):
    """The HTTP registry's series, inside the scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()


def allowed(request: Request) -> bool:
    """True when the caller may read /metrics: a configured network, or the configured token."""
    settings = get_settings()
    token = settings.metrics_token
    header = request.headers.get("authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in _networks(settings.metrics_allowed_networks))


@cache
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


@router.get(
    "/metrics",
    summary="Prometheus metrics / 监控指标",
    description="Prometheus text format. Readable from `MANYI_METRICS_ALLOWED_NETWORKS` (default this "
    "machine) or with `Authorization: Bearer <MANYI_METRICS_TOKEN>`.\n\n"
    "Prometheus 文本格式；仅允许配置的网段或携带令牌访问。",
    response_class=Response,
    responses={
        200: {"description": "Prometheus text format", "content": {"text/plain": {}}},
        403: {"description": "Not from an allowed network, no valid token / 无权读取"},
    },
)
def metrics(request: Request) -> Response:
    if not allowed(request):
        raise ApiError(403, "metrics: not readable from this address; see docs/operations.md")
    registry = _scrape_registry(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
