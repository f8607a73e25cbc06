"""Browser authentication for the web UI: the signed session cookie, the logged-in user and CSRF checks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response

from kempen.accounts import service as accounts
from kempen.accounts.service import Principal
from kempen.config import get_settings
from kempen.http.deps import SessionDep
from kempen.http.sessions import COOKIE_NAME, MAX_AGE_SECONDS, BrowserSession, dump_session, load_session
from kempen.models import Role, User, Workspace

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Before login there is no session yet, so the login form is protected by a double-submit cookie.
LOGIN_CSRF_COOKIE = "kempen_login_csrf"
DEFAULT_PAGE = "/contacts"


class LoginRequired(Exception):
    """The request has no valid session; the web layer answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A state-changing request came without the session's CSRF token."""


@dataclass(frozen=True)
class WebContext:
    """The logged-in user, the workspace they act in and everything the shell shows about them."""

    principal: Principal
    user: User
    csrf_token: str
    workspaces: list[tuple[Workspace, Role]]

    @property
    def workspace_id(self) -> int:
        return self.principal.workspace_id

    @property
    def workspace(self) -> Workspace | None:
        return next((ws for ws, _ in self.workspaces if ws.id == self.workspace_id), None)


def safe_next(value: str | None) -> str:
    """Return `value` if it is a path on this site, else the default page (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_PAGE
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return DEFAULT_PAGE
    return value


def login_url(next_path: str) -> str:
    return f"/login?next={quote(safe_next(next_path), safe='/')}"


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=get_settings().secure_cookies, path="/")


def issue_session(response: Response, *, user_id: int, workspace_id: int, csrf_token: str | None = None) -> None:
    """Set the signed session cookie; a new CSRF token unless one is carried over."""
    browser = BrowserSession(user_id=user_id, workspace_id=workspace_id,
                             csrf_token=csrf_token or secrets.token_urlsafe(32))
    _set_cookie(response, COOKIE_NAME, dump_session(get_settings().signing_key, browser), MAX_AGE_SECONDS)


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=get_settings().secure_cookies)


def issue_login_csrf(response: Response, token: str) -> None:
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, 3600)


def browser_session(request: Request) -> BrowserSession | None:
    return load_session(get_settings().signing_key, request.cookies.get(COOKIE_NAME))


def _requested_path(request: Request) -> str:
    # An HTMX partial is not a page to come back to; return to the page it was loaded from.
    current = request.headers.get("HX-Current-URL")
    if current:
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def current_web_user(request: Request, session: SessionDep) -> WebContext:
    """Return the logged-in member acting in their current workspace, or raise LoginRequired."""
    browser = browser_session(request)
    if browser is None:
        raise LoginRequired(_requested_path(request))
    principal = accounts.principal_for_user(session, user_id=browser.user_id, workspace_id=browser.workspace_id)
    user = session.get(User, browser.user_id)
    if principal is None or user is None:
        raise LoginRequired(_requested_path(request))
    return WebContext(principal=principal, user=user, csrf_token=browser.csrf_token,
                      workspaces=accounts.workspaces_of_user(session, user.id))


WebUser = Annotated[WebContext, Depends(current_web_user)]


async def _submitted_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()  # Starlette caches the parsed form, so Form(...) parameters still work
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def require_csrf(request: Request, context: WebUser) -> WebContext:
    """Let a state-changing request through only with the session's CSRF token."""
    if not secrets.compare_digest(await _submitted_token(request), context.csrf_token):
        raise CsrfRefused()
    return context


async def require_login_csrf(request: Request) -> None:
    """Check the login form's token against its double-submit cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not cookie or not secrets.compare_digest(await _submitted_token(request), cookie):
        raise CsrfRefused()


CsrfChecked = Annotated[WebContext, Depends(require_csrf)]
