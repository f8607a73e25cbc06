"""The public preference centre at /p/{token} (the email's signed unsubscribe token is the permission).

GET only shows the choices (mail scanners fetch every link); POST saves them. There is no login
and so no session CSRF token: the unguessable signed token in the path plays that part, and a POST
a browser marks as cross-site (Sec-Fetch-Site, or an Origin of another host) is refused.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from kempen.http.deps import SessionDep
from kempen.kit.errors import InvalidInput
from kempen.models import Channel
from kempen.tracking import preferences as service
from kempen.tracking.preferences import Preferences
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=1000)]
_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
_LABELS = {Channel.EMAIL: "Emails", Channel.SMS: "Text messages", Channel.PUSH: "Push notifications"}


def _page(request: Request, prefs: Preferences | None, *, saved: bool = False, status_code: int = 200) -> Response:
    state = "invalid" if prefs is None else ("form" if prefs.found else "gone")
    context = {"state": state, "sender": prefs.sender if prefs else "", "saved": saved, "labels": _LABELS,
               "channels": prefs.channels if prefs else [], "topics": prefs.topics if prefs else []}
    return render(request, "preferences/page.html", context, status_code=status_code, headers=_HEADERS)


def _cross_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    return bool(origin) and origin != "null" and urlsplit(origin).netloc != request.url.netloc


@router.get("/p/{token}")
def show(request: Request, session: SessionDep, token: Token) -> Response:
    """Show the contact's channels and topics."""
    try:
        return _page(request, service.load_preferences(session, token))
    except InvalidInput:
        return _page(request, None, status_code=400)


@router.post("/p/{token}")
def save(request: Request, session: SessionDep, token: Token,
         channel: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
         topic: Annotated[list[str], Form()] = [],  # noqa: B006
         action: Annotated[str, Form(max_length=20)] = "save") -> Response:
    """Save the choices, or unsubscribe from everything."""
    if _cross_site(request):
        return Response("Cross-site form posts are refused.", status_code=403, headers=_HEADERS)
    channels = {c for c in Channel if c.value in channel}
    topic_ids = {int(t) for t in topic if t.isdigit() and len(t) < 19}
    try:
        prefs = service.save_preferences(session, token, channels=channels, topic_ids=topic_ids,
                                         everything_off=action == "everything")
    except InvalidInput:
        return _page(request, None, status_code=400)
    return _page(request, prefs, saved=prefs.found)
