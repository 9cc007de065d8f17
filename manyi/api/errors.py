"""Every error leaves the API as TMF630's {code, reason, message, status}, mapped here and only here."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from manyi.core.errors import ManyiError
from manyi.core.logging import get_logger

log = get_logger(__name__)

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

# The database refused, dropped or did not answer a connection or a statement in time (connect,
# statement and pool timeouts: manyi.core.settings). Raised wrapped by SQLAlchemy, or bare by the
# hot paths that use the driver directly (manyi.core.fastsql).
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    sqlite3.OperationalError,
)
# The database refused a value the schema allows (a NUL character in text on PostgreSQL, a number
# beyond a column's range): the caller's input, not a server fault.
UNSTORABLE: tuple[type[Exception], ...] = (DataError, psycopg.DataError, sqlite3.DataError)
UNAVAILABLE_MESSAGE = "the database is not available at the moment; try again shortly"
RETRY_AFTER_SECONDS = 5


# The TMF Open API specifications document 400 for invalid input and no 422: on their paths a value
# the rules refuse is a 400 (same code and message), so a client generated from them understands it.
TMF_PREFIX = "/tmf-api/"


def _status_for(request: Request, status: int) -> int:
    return 400 if status == 422 and request.url.path.startswith(TMF_PREFIX) else status


class ApiError(ManyiError):
    """An HTTP-level refusal (bad query parameter, read-only field, wrong media type)."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.code = REASONS.get(status, "error").lower().replace(" ", "_")


class BadUrl(ApiError):
    """A path or query parameter no resource could match (a NUL character, an endless value)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(400, message, field=field)


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"code": code, "reason": REASONS.get(status, "Error"), "message": message, "status": str(status)}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)


def unstorable_message(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    detail = (str(orig).splitlines() or ["value not storable"])[0]
    return f"a value cannot be stored: {detail}"


def log_unavailable(request: Request, exc: Exception) -> None:
    log.warning(
        "database unavailable", path=request.url.path, error=(str(exc).splitlines() or [repr(exc)])[0][:300]
    )


def log_unexpected(request: Request, exc: Exception) -> None:
    log.error("unhandled error", path=request.url.path, error=repr(exc)[:500], exc_info=exc)


def http_message(exc: StarletteHTTPException) -> str:
    """The message of a framework refusal, naming the body when FastAPI could not parse it."""
    if isinstance(exc.__cause__, RecursionError):  # [[[[… deeper than the parser's recursion limit
        return "body: JSON nested too deeply"
    if exc.status_code == 400 and exc.__cause__ is not None:
        return f"body: could not be read ({type(exc.__cause__).__name__})"
    return str(exc.detail)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(ManyiError)
    async def domain_error(request: Request, exc: ManyiError) -> JSONResponse:
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(retry_after)
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return error_response(_status_for(request, exc.status), exc.code, exc.message, headers or None)

    # Its own registration, so the console can show its own text for it (manyi.console.app).
    app.add_exception_handler(BadUrl, domain_error)  # type: ignore[arg-type]

    @app.exception_handler(StaleDataError)
    async def stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        # Two writers read the same version; the database let only the first UPDATE match it.
        return error_response(
            412, "precondition_failed", "the resource was changed by someone else; reload it"
        )

    @app.exception_handler(IntegrityError)
    async def duplicate(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique key taken by a concurrent request between our check and our insert.
        return error_response(
            409, "conflict", "the resource already exists (a concurrent request made it first)"
        )

    async def unstorable(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(400, "bad_request", unstorable_message(exc))

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log_unavailable(request, exc)
        return error_response(
            503, "service_unavailable", UNAVAILABLE_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The last resort: a fault of ours still answers in the API's error shape, and is logged.
        log_unexpected(request, exc)
        return error_response(
            500, "internal_server_error", "an unexpected error occurred; it has been logged"
        )

    for error_class in UNSTORABLE:
        app.add_exception_handler(error_class, unstorable)
    for error_class in UNAVAILABLE:
        app.add_exception_handler(error_class, unavailable)
    app.add_exception_handler(Exception, unexpected)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        message = f"{_location(tuple(first.get('loc', ())))}: {first.get('msg', 'invalid value')}"
        return error_response(400, "bad_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = REASONS.get(exc.status_code, "error").lower().replace(" ", "_")
        return error_response(exc.status_code, code, http_message(exc), getattr(exc, "headers", None))
