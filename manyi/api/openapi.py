"""The OpenAPI document as the API really behaves: every error is TMF630's Error object, request
validation failures are 400 (not FastAPI's default 422 shape), and authenticated operations declare
401/403 — so a generated client, and schemathesis, see what the server actually sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from manyi.api.errors import REASONS, TMF_PREFIX

ERROR_SCHEMA = {
    "type": "object",
    "description": "TMF630 error / 错误",
    "required": ["code", "reason"],
    "properties": {
        "code": {"type": "string"},
        "reason": {"type": "string"},
        "message": {"type": "string"},
        "status": {"type": "string"},
    },
}
PUBLIC_PATHS = {
    "/api/v1/auth/token",
    "/healthz",
    "/readyz",
    "/metrics",
    "/",
    "/api/v1/schemas/ManyiTroubleTicket",
    "/api/v1/schemas/ManyiCustomer",
}


def _error(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or REASONS.get(status, "Error"),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def install(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        for path, operations in doc.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code in list(responses):
                    if code.isdigit() and int(code) >= 400:
                        responses[code] = _error(int(code), responses[code].get("description"))
                responses["400"] = _error(400, "Bad request: a parameter or body field is wrong / 请求有误")
                # TMF paths answer 400 where /api/v1 answers 422 (manyi.api.errors): the TMF
                # specifications document no 422.
                tmf = path.startswith(TMF_PREFIX)
                if not tmf and (operation.get("requestBody") or path not in PUBLIC_PATHS):
                    responses.setdefault("422", _error(422, "Invalid value / 数据不合法"))
                if tmf:
                    responses.pop("422", None)
                if operation.get("requestBody"):
                    responses.setdefault("415", _error(415, "Unsupported Content-Type / 不支持的内容类型"))
                    responses.setdefault("413", _error(413, "Request body too large / 请求内容过大"))
                if path != "/healthz":
                    responses.setdefault(
                        "503", _error(503, "Database unavailable or not migrated / 数据库暂时不可用")
                    )
                if path not in PUBLIC_PATHS:
                    responses.setdefault("401", _error(401, "Not authenticated / 未登录"))
                    responses.setdefault("403", _error(403, "Not allowed for your role / 角色无权限"))
                    responses.setdefault("404", _error(404, "Not found / 不存在"))
                if path == "/api/v1/auth/token":
                    responses["401"] = _error(401, "Wrong user name or password / 用户名或密码错误")
                    responses["429"] = _error(429, "Too many failed logins / 登录失败次数过多")
                operation.setdefault(
                    "security", [] if path in PUBLIC_PATHS else [{"bearer": []}, {"apiKey": []}]
                )
        doc["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]
