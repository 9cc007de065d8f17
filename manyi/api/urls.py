"""Absolute URLs for what a standard requires to be a URI (TMF's @schemaLocation)."""

from __future__ import annotations

from fastapi import Request

from manyi.core.settings import get_settings


def public_base(request: Request | None = None) -> str:
    """The API's base URL without a trailing slash: the configured public URL, else the request's own
    (what the client used to reach us), else the server's host and port (events sent by the worker)."""
    settings = get_settings()
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if request is not None:
        return str(request.base_url).rstrip("/")
    return f"http://{settings.host}:{settings.port}"
