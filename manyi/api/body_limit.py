"""Request body size limits, enforced as the body arrives: a body larger than its route allows is
refused with 413 and never held in memory.

A declared Content-Length over the limit is refused before a byte of the body is read; a chunked
body (no Content-Length) is counted as it streams and refused at the first chunk past the limit.
Whatever the application made of the interrupted read (FastAPI turns a failed body read into a 400),
the answer is the 413."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# (request, limit in bytes) -> the 413 response in the caller's format (TMF JSON or console HTML).
Refusal = Callable[[Request, int], Response]


class BodyTooLarge(Exception):
    """Raised into the application when a streamed body passes its route's limit."""


class BodySizeLimit:
    """ASGI middleware: at most `default` bytes of body, more for the routes in `larger`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        refuse: Refusal,
        larger: Sequence[tuple[str, re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.default = default
        self.refuse = refuse
        self.larger = tuple(larger)  # (method, path pattern, limit)

    def limit_for(self, method: str, path: str) -> int:
        for wanted, pattern, limit in self.larger:
            if method == wanted and pattern.fullmatch(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.refuse(Request(scope), limit)(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(f"request body over {limit} bytes")
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the application's answer to the broken read; ours goes out below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            if started:
                raise
        if exceeded and not started:
            await self.refuse(Request(scope), limit)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
