"""Public unsubscribe pages (signed links from emails; RFC 8058 one-click POST).

GET only shows a confirmation with a button: mail scanners and link previews fetch every link in
a message, so a GET must never unsubscribe. POST unsubscribes, from the page's button or from a
mail client's one-click request (body `List-Unsubscribe=One-Click`, no cookie, no CSRF token: the
signed token is the permission). Answers never depend on whether an address exists.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from kempen.http.deps import SessionDep
from kempen.kit.errors import InvalidInput
from kempen.models import Channel
from kempen.tracking import unsubscribe as service
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=1000)]
# The token is a credential: keep it out of Referer headers, caches and search engines.
_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
_LABELS = {Channel.EMAIL: "emails", Channel.SMS: "text messages", Channel.PUSH: "notifications"}


def _page(request: Request, state: str, *, sender: str = "", channel: Channel = Channel.EMAIL,
          status_code: int = 200, token: str = "") -> Response:
    # The preference centre takes the same signed token (`/p/<token>`), linked from here.
    context = {"state": state, "sender": sender, "channel_label": _LABELS.get(channel, "messages"),
               "preferences_url": f"/p/{token}" if token and state in ("confirm", "done") else ""}
    return render(request, "unsubscribe/page.html", context, status_code=status_code, headers=_HEADERS)


@router.get("/u/{token}")
def confirm_page(request: Request, session: SessionDep, token: Token) -> Response:
    """Ask before unsubscribing."""
    try:
        data = service.verify_unsubscribe_token(token)
    except InvalidInput:
        return _page(request, "invalid", status_code=400)
    return _page(request, "confirm", sender=service.sender_name(session, data), channel=data.channel, token=token)


@router.post("/u/{token}")
def unsubscribe(request: Request, session: SessionDep, token: Token,
                one_click: Annotated[str | None, Form(alias="List-Unsubscribe")] = None) -> Response:
    """Unsubscribe (the page's button, or RFC 8058 one-click); 200 whatever the contact's state."""
    source = "one_click" if one_click == "One-Click" else "unsubscribe_page"
    try:
        outcome = service.unsubscribe_by_token(session, token, source=source)
    except InvalidInput:
        return _page(request, "invalid", status_code=400)
    sender = service.sender_name(session, outcome.token)
    return _page(request, "done" if outcome.contact_found else "gone", sender=sender,
                 channel=outcome.token.channel, token=token)
