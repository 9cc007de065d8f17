"""Probes for a load balancer or an orchestrator.

/healthz (liveness): the process answers; it touches nothing else, so a database outage never gets
healthy processes restarted. /readyz (readiness): this process can serve, i.e. the database answers
within the connect timeout and its schema is at the migrations' head; 503 with the reason otherwise,
so the balancer sends traffic elsewhere until it is."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from manyi.api.errors import UNAVAILABLE, error_response
from manyi.core.db import get_engine
from manyi.core.migrate import alembic_config

router = APIRouter(tags=["operations 运维"])


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str
    revision: str | None = None


@cache
def migration_heads() -> frozenset[str]:
    """The revisions a fully migrated database is at (read from the migration scripts once)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def readiness() -> Readiness:
    """Whether the configured database answers and is migrated to head."""
    try:
        with get_engine().connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except UNAVAILABLE as exc:
        detail = (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]
        return Readiness(False, f"database unreachable: {detail[:200]}")
    heads = migration_heads()
    revision = ",".join(sorted(current)) or None
    if current != heads:
        return Readiness(
            False,
            f"database not migrated: at revision {revision or 'none'}, this version needs "
            f"{','.join(sorted(heads))}; run `manyi db upgrade`",
            revision,
        )
    return Readiness(True, "ready", revision)


@router.get("/healthz", summary="Liveness / 存活检查", description="The process answers; no database.")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness / 就绪检查",
    description="200 when the database answers and is migrated to head; 503 with the reason otherwise.\n\n"
    "数据库可用且已升级到最新版本时返回 200，否则返回 503 及原因。",
)
def readyz() -> JSONResponse:
    state = readiness()
    if not state.ready:
        return error_response(503, "service_unavailable", state.reason, {"Retry-After": "5"})
    return JSONResponse({"status": "ready", "database": "ok", "revision": state.revision})
