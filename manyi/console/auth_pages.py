"""Login, logout, language switch and the landing redirect."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from manyi.auth.flows import login_flow
from manyi.auth.service import NotAuthenticated, TooManyAttempts, principal_for_token, revoke_token
from manyi.console import i18n
from manyi.console import session as console_session
from manyi.console.deps import Page, page, public_locale
from manyi.console.navigation import home_for
from manyi.console.templating import render_template
from manyi.core.db import unit_of_work

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect would let a phishing link borrow our login page."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_page(
    request: Request, locale: str, *, error: str | None = None, status: int = 200, username: str = ""
) -> HTMLResponse:
    i18n.set_locale(locale)
    token = request.cookies.get(console_session.LOGIN_CSRF_COOKIE) or console_session.new_login_csrf()
    html = render_template(
        "login.html",
        {
            "lang": locale,
            "csrf": token,
            "csrf_field": console_session.CSRF_FIELD,
            "next": _safe_next(request.query_params.get("next")) or "",
            "error": error,
            "username": username,
            "path": "/login",
        },
    )
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(console_session.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.get("/login")
def login_form(request: Request, locale: Annotated[str, Depends(public_locale)]) -> Response:
    return _login_page(request, locale)


@router.post("/login")
def login_submit(
    request: Request,
    locale: Annotated[str, Depends(public_locale)],
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    _ = i18n.translations(locale).gettext
    expected = request.cookies.get(console_session.LOGIN_CSRF_COOKIE)
    if not expected or not console_session.csrf_matches(expected, csrf_token):
        return _login_page(
            request,
            locale,
            error=_("The login form expired; please try again."),
            status=403,
            username=username,
        )
    if not username.strip() or not password:
        return _login_page(
            request, locale, error=_("Enter your user name and password."), status=422, username=username
        )
    client = request.client.host if request.client else "unknown"
    try:
        with unit_of_work() as session:
            secret, _token = login_flow(
                session, username=username.strip(), password=password, client=client, via="console"
            )
            principal = principal_for_token(session, secret)
    except TooManyAttempts as exc:
        # The right password is refused too while locked: otherwise the lock would only slow guessing.
        locked = _login_page(
            request,
            locale,
            error=_("Too many failed logins; try again in 15 minutes."),
            status=429,
            username=username,
        )
        locked.headers["Retry-After"] = str(exc.retry_after)
        return locked
    except NotAuthenticated:
        return _login_page(
            request, locale, error=_("Wrong user name or password."), status=401, username=username
        )
    response = RedirectResponse(_safe_next(next) or home_for(principal), status_code=303)
    console_session.start(request, response, secret)
    return response


@router.post("/logout")
def logout(p: Annotated[Page, Depends(page)]) -> Response:
    revoke_token(p.session, token_id=p.principal.token_id)
    p.commit()
    response = RedirectResponse("/login", status_code=303)
    console_session.end(response)
    return response


@router.get("/lang/{locale}")
def switch_language(locale: str, request: Request) -> Response:
    """Switching language only sets a preference cookie, so a plain link (GET) is safe."""
    target = _safe_next(request.query_params.get("next")) or "/"
    response = RedirectResponse(target, status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie(i18n.LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/")
def landing(request: Request) -> Response:
    secret = request.cookies.get(console_session.SESSION_COOKIE)
    if secret:
        with unit_of_work() as session, suppress(NotAuthenticated):  # a stale cookie: log in again
            return RedirectResponse(home_for(principal_for_token(session, secret)), status_code=303)
    return RedirectResponse("/login", status_code=303)


@router.get("/account")
def account(p: Annotated[Page, Depends(page)]) -> Response:
    return p.render("account.html")
