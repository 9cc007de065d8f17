"""Reading JSON request bodies by hand, where the media type itself is part of the contract
(merge-patch PATCHes) and the body is checked field by field against what may change."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from manyi.api.errors import ApiError

MERGE_PATCH = "application/merge-patch+json"


async def json_object(request: Request, *, media_types: tuple[str, ...]) -> dict[str, Any]:
    """The body as a JSON object; 415 for another media type, 400 for anything but an object."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in media_types:
        raise ApiError(415, f"Content-Type: expected {media_types[0]}, got {content_type or 'none'}")
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise ApiError(400, f"body: not valid JSON ({exc})") from None
    except RecursionError:
        # [[[[… 100,000 deep: the parser gives up at the interpreter's recursion limit.
        raise ApiError(400, "body: JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body: expected a JSON object of the fields to change")
    return body
