"""The console's request context: one unit of work, the logged-in staff member, the language, the
CSRF token; plus the helpers every page uses to check rights and answer (render, redirect)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from manyi.auth.service import NotAuthenticated, Principal, in_scope, principal_for_token, scope_regions
from manyi.console import i18n
from manyi.console import session as console_session
from manyi.console.navigation import menu
from manyi.console.templating import render_template
from manyi.core.clock import now
from manyi.core.db import unit_of_work
from manyi.core.errors import ManyiError, NotFound, PermissionDenied
from manyi.core.limits import INT64_MAX, TextTooLong, is_whole_number
from manyi.core.masking import mask_text
from manyi.notify.inbox import unread_count
from manyi.orders.queries import Viewer, viewer_of

# The furthest page a console list goes to: far beyond any real list, and page x size stays a
# number every database can bind.
MAX_PAGE = 100_000


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page and back afterwards."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(ManyiError):
    status = 403
    code = "csrf"


@dataclass
class Page:
    """What a console endpoint works with."""

    request: Request
    session: Session
    principal: Principal
    locale: str
    csrf: str
    flash: str | None = None

    def gettext(self, message: str) -> str:
        """A message in this request's language (context variables do not cross FastAPI's threads)."""
        return i18n.translations(self.locale).gettext(message)

    def too_long(self, error: Exception) -> str | None:
        """The sentence for a text longer than its field allows, in this request's language."""
        if isinstance(error, TextTooLong):
            return self.gettext("Too long: at most %(n)s characters.") % {"n": error.max_chars}
        return None

    def can(self, permission: str) -> bool:
        return self.principal.can(permission)

    def has_role(self, *roles: str) -> bool:
        return any(r in self.principal.roles for r in roles)

    def require(self, permission: str) -> None:
        if not self.principal.can(permission):
            raise PermissionDenied(self.gettext("Your role does not allow this page or action."))

    def scope(self) -> frozenset[str] | None:
        return scope_regions(self.session, self.principal)

    def viewer(self) -> Viewer:
        """Whose orders this page may show (manyi.orders.queries: the one visibility rule)."""
        return viewer_of(self.session, self.principal)

    def in_scope(self, region_code: str | None) -> bool:
        return in_scope(self.session, self.principal, region_code)

    def check_region(self, region_code: str | None) -> None:
        """Out-of-scope objects are reported as missing, so their existence does not leak."""
        if not self.in_scope(region_code):
            raise NotFound(self.gettext("No such record, or it is outside your regions."))

    def commit(self) -> None:
        """Commit before answering: FastAPI closes a yield dependency only after the response has
        gone out, and a browser following a redirect must already see what the POST changed."""
        self.session.commit()

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        i18n.set_locale(self.locale)
        base = {
            "page": self,
            "me": self.principal,
            "lang": self.locale,
            "csrf": self.csrf,
            "csrf_field": console_session.CSRF_FIELD,
            "flash": self.flash,
            "menu": menu(self.principal),
            "path": self.request.url.path,
            # A phone typed into a search stays in the link only for those who may read it.
            "here": here(self.request) if self.can("pii:read") else mask_text(here(self.request)),
            "errors": {},
            "server_now": now().isoformat(),
            "inbox_unread": unread_count(self.session, user_id=self.principal.user_id),
        }
        response = HTMLResponse(render_template(template, {**base, **context}), status_code=status_code)
        self.commit()
        if self.flash:
            response.delete_cookie(console_session.FLASH_COOKIE)
        return response

    def redirect(self, url: str, *, flash: str | None = None) -> RedirectResponse:
        self.commit()
        response = RedirectResponse(url, status_code=303)
        if flash:
            console_session.flash(self.request, response, flash)
        return response


def _locale(request: Request) -> str:
    locale = i18n.choose_locale(
        request.cookies.get(i18n.LOCALE_COOKIE), request.headers.get("accept-language")
    )
    i18n.set_locale(locale)
    return locale


async def csrf_checked(request: Request) -> None:
    """Refuse a state-changing request whose form (or X-CSRF-Token header) lacks the session's token."""
    # The language, set here in the request's own context: an async dependency runs there, and the
    # endpoint's thread starts from a copy of it, so label() in page code speaks the page's language
    # (set only in `page`, a sync dependency with a thread of its own, it stayed Chinese).
    _locale(request)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    secret = request.cookies.get(console_session.SESSION_COOKIE)
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette keeps the parsed form for the endpoint's Form fields
        value = form.get(console_session.CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not secret or not console_session.csrf_matches(console_session.csrf_for(secret), given):
        raise CsrfRefused(
            "the form has expired or did not come from this site; reload the page and try again"
        )


def page(request: Request, _csrf: None = Depends(csrf_checked)) -> Iterator[Page]:
    """Open the unit of work and identify the staff member; commit when the endpoint succeeds."""
    locale = _locale(request)
    secret = request.cookies.get(console_session.SESSION_COOKIE)
    if not secret:
        raise LoginRequired(_next(request))
    with unit_of_work() as session:
        try:
            principal = principal_for_token(session, secret)
        except NotAuthenticated:
            raise LoginRequired(_next(request)) from None
        yield Page(
            request,
            session,
            principal,
            locale,
            console_session.csrf_for(secret),
            console_session.take_flash(request),
        )


def here(request: Request) -> str:
    """This page's address with its query string: switching language must keep the filters and the
    customer a half-filled form was opened for."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _next(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target if request.method == "GET" else request.url.path)


def query_int(raw: str | None, *, low: int = 1, high: int = INT64_MAX) -> int | None:
    """A whole number from a query string or form, or None when it is none: console filters are
    lenient, so a stale or hand-edited link shows the unfiltered page instead of an error. ASCII
    digits within 64 bits only ('²' is a digit to str.isdigit(), not to int())."""
    if raw is None or not is_whole_number(raw, low=low, high=high):
        return None
    return int(raw.strip())


def page_number(raw: str | None) -> int:
    """A list's page number from the query string: 1 when absent or not a number, at most MAX_PAGE."""
    return min(query_int(raw) or 1, MAX_PAGE)


async def public_locale(request: Request) -> AsyncIterator[str]:
    """For pages without login (the login page itself): only the language."""
    yield _locale(request)
