"""Console sessions: the login's bearer token travels in an HttpOnly cookie, and every form carries a
CSRF token derived from it (HMAC with the server key), so checking it needs no database and a forged
cross-site post, which cannot read the cookie, cannot produce it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote, unquote

from fastapi import Request, Response

from manyi.auth.service import TOKEN_LIFETIME
from manyi.core.settings import get_settings

SESSION_COOKIE = "manyi_session"
LOGIN_CSRF_COOKIE = "manyi_login_csrf"  # before login there is no session: double-submit instead
FLASH_COOKIE = "manyi_flash"
CSRF_FIELD = "csrf_token"


def csrf_for(secret: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(TOKEN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)


def end(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)


def flash(request: Request, response: Response, message: str) -> None:
    """A one-line confirmation shown on the next page (post/redirect/get)."""
    response.set_cookie(
        FLASH_COOKIE, quote(message[:300]), max_age=60, httponly=True, samesite="lax", secure=_secure(request)
    )


def take_flash(request: Request) -> str | None:
    value = request.cookies.get(FLASH_COOKIE)
    return unquote(value) if value else None
