"""Mount the server-rendered web UI (Jinja2 + HTMX) and its static files on the application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from kempen.web.auth import CsrfRefused, LoginRequired, clear_session, login_url
from kempen.web.templating import STATIC_DIR, render
from kempen.web.views import (
    attribution,
    audit_log,
    brand,
    budgets,
    calendar,
    campaign_experiments,
    campaigns,
    contacts,
    content_blocks,
    conversions,
    inbox,
    planning,
    preferences,
    profile,
    reports,
    segments,
    session,
    stats,
    teamwork,
    tracking,
    universal_holdout,
    unsubscribe,
)


def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    target = login_url(exc.next_path)
    response: Response
    if request.headers.get("HX-Request"):
        # A redirect would be followed inside the XHR and swapped into the page; ask HTMX to navigate.
        response = Response(status_code=401, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    clear_session(response)
    return response


def _csrf_refused(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"status_code": 403, "title": "This form has expired",
                                          "message": "Reload the page and try again."}, status_code=403)


def mount_web(app: FastAPI) -> None:
    """Add the web pages, their error handling and /static to the application."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    for module in (session, contacts, profile, segments, campaigns, inbox, unsubscribe, tracking, preferences,
                   attribution, reports, stats, conversions, universal_holdout, campaign_experiments, calendar,
                   teamwork, audit_log, budgets, planning, brand, content_blocks):
        app.include_router(module.router)
