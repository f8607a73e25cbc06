"""Logging in and out, and switching workspace."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from kempen.accounts import service as accounts
from kempen.http.deps import SessionDep
from kempen.web.auth import (
    DEFAULT_PAGE,
    CsrfChecked,
    browser_session,
    clear_session,
    issue_login_csrf,
    issue_session,
    require_csrf,
    require_login_csrf,
    safe_next,
)
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
BAD_CREDENTIALS = "That email and password do not match an account. Check both and try again."
NO_WORKSPACE = "Your account is not a member of any workspace yet. Ask a workspace owner to add you."


@router.get("/")
def index() -> RedirectResponse:
    return RedirectResponse(DEFAULT_PAGE, status_code=303)


def _login_page(request: Request, *, next_path: str, email: str = "", error: str | None = None,
                status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"next": next_path, "email": email, "error": error,
                                              "login_csrf": token}, status_code=status_code)
    issue_login_csrf(response, token)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """Show the login form, or go straight on when already logged in."""
    if browser_session(request) is not None and next is None:
        return RedirectResponse(DEFAULT_PAGE, status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login", dependencies=[Depends(require_login_csrf)])
def login(
    request: Request, session: SessionDep, email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)], next: Annotated[str, Form()] = DEFAULT_PAGE,
) -> Response:
    """Check the credentials and start a session in the user's first workspace."""
    next_path = safe_next(next)
    user = accounts.authenticate_user(session, email=email, password=password)
    if user is None:
        return _login_page(request, next_path=next_path, email=email, error=BAD_CREDENTIALS, status_code=400)
    workspaces = accounts.workspaces_of_user(session, user.id)
    if not workspaces:
        return _login_page(request, next_path=next_path, email=email, error=NO_WORKSPACE, status_code=403)
    response = RedirectResponse(next_path, status_code=303)
    issue_session(response, user_id=user.id, workspace_id=workspaces[0][0].id)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


@router.post("/workspace")
def switch_workspace(
    request: Request, session: SessionDep, context: CsrfChecked, workspace_id: Annotated[int, Form()],
) -> Response:
    """Act in another workspace, if the user is a member of it."""
    principal = accounts.principal_for_user(session, user_id=context.user.id, workspace_id=workspace_id)
    if principal is None:
        return render(request, "error.html", {"ctx": context, "title": "Not a member",
                                              "message": "You are not a member of that workspace."},
                      status_code=403)
    response = RedirectResponse(DEFAULT_PAGE, status_code=303)
    issue_session(response, user_id=context.user.id, workspace_id=workspace_id, csrf_token=context.csrf_token)
    return response
