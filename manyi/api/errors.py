"""Every error leaves the API as TMF630's {code, reason, message, status}, mapped here and only here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from manyi.core.errors import ManyiError

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


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


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"code": code, "reason": REASONS.get(status, "Error"), "message": message, "status": str(status)}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)


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

    @app.exception_handler(DataError)
    async def unstorable(_request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema allows: a NUL character in text (PostgreSQL), a
        # number beyond the column's range. The caller's input, not a server fault.
        detail = str(exc.orig).splitlines()[0] if exc.orig else "value not storable"
        return error_response(400, "bad_request", f"a value cannot be stored: {detail}")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        message = f"{_location(tuple(first.get('loc', ())))}: {first.get('msg', 'invalid value')}"
        return error_response(400, "bad_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = REASONS.get(exc.status_code, "error").lower().replace(" ", "_")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))
