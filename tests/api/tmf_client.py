"""A TMF client built only from an official TMF swagger file, not from Manyi's OpenAPI: operations
are looked up by the swagger's operationId under its basePath, request bodies are checked against
the swagger's input definitions before sending, and responses against its resource definition."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.api.tmf_schema import TMF_DIR, assert_conforms


class SwaggerClient:
    def __init__(self, spec_file: str, server: str, headers: dict[str, str]) -> None:
        self.spec_file = spec_file
        self.spec = json.loads((TMF_DIR / spec_file).read_text(encoding="utf-8"))
        self.base = server + self.spec["basePath"].rstrip("/")
        self.http = httpx.Client(headers=headers, timeout=30)
        self.operations: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for path, methods in self.spec["paths"].items():
            for method, op in methods.items():
                self.operations[op["operationId"]] = (method.upper(), path, op)

    def validate(self, definition: str, document: Any) -> None:
        """Fail (AssertionError) when document breaks the swagger definition."""
        assert_conforms(self.spec_file, definition, document)

    def call(
        self, operation_id: str, *, id: str | None = None, body: Any = None, **params: str
    ) -> httpx.Response:
        method, path, op = self.operations[operation_id]
        body_param = next((p for p in op.get("parameters", []) if p["in"] == "body"), None)
        if body_param is not None and body is not None:
            self.validate(body_param["schema"]["$ref"].rsplit("/", 1)[1], body)
        url = self.base + path.replace("{id}", id or "")
        content_type = (self.spec.get("consumes") or ["application/json"])[0]
        return self.http.request(
            method,
            url,
            params=params or None,
            content=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": content_type} if body is not None else None,
        )

    def close(self) -> None:
        self.http.close()
