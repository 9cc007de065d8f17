"""Security headers on every response: the console's strict Content-Security-Policy and framing
refusal, and nosniff for the API too.

The console's pages run only their own static scripts (no inline script, no inline event handler,
no eval), which is what `script-src 'self'` allows. Plotly's bundle injects its chart styles at run
time, hence `style-src 'self' 'unsafe-inline'`: styles cannot run code. The interactive API
documentation (/docs, /redoc) loads Swagger UI and ReDoc from the fastapi-offline package (no CDN)
but starts them with an inline script; it gets no CSP (it is no console page and holds no session)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
NO_CSP_PREFIXES = ("/docs", "/redoc")


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response (unless a route set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = not scope["path"].startswith(NO_CSP_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERYWHERE.items():
                    headers.setdefault(name, value)
                if csp:
                    headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
            await send(message)

        await self.app(scope, receive, with_headers)
