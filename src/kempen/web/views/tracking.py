"""Public tracking endpoints: the open pixel (/o), the click redirect (/c) and the honeypot link (/h).

Asynchronous and without a request session: a genuine token is checked by its signature alone, the
variant's links and UTM settings come from an in-process cache, and the event goes to the recorder,
which returns once the event is journalled or committed (docs/tracking.md), before the answer leaves.
A bad token records nothing: the pixel is served anyway, a click gets a 400 page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kempen.db import get_engine, unit_of_work
from kempen.kit.errors import InvalidInput
from kempen.models import TouchKind
from kempen.templates.links import link_table
from kempen.tracking import clicks, machine
from kempen.tracking.links import ClickToken, TrackedDelivery, read_click_token, read_open_token
from kempen.tracking.recorder import get_recorder
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
logger = logging.getLogger("kempen.tracking")
Token = Annotated[str, Path(max_length=4000)]
# The 1x1 transparent GIF.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
_NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, max-age=0", "Pragma": "no-cache",
             "Expires": "0", "X-Robots-Tag": "noindex"}
# The redirect carries a credential-like token: never pass it on to the destination as a Referer.
_REDIRECT = {**_NO_STORE, "Referrer-Policy": "no-referrer"}
_STATUS = {"invalid": 400, "unknown": 404, "expired": 410}
_bursts = machine.BurstDetector()
_BURST = timedelta(seconds=machine.BURST_SECONDS)
_variants: tuple[object, clicks.VariantCache] = (None, clicks.VariantCache())


def _cache() -> clicks.VariantCache:
    global _variants
    engine = get_engine()
    if _variants[0] is not engine:  # another database (tests): other ids
        _variants = (engine, clicks.VariantCache())
    return _variants[1]


def _load(delivery: TrackedDelivery) -> clicks.VariantInfo | None:
    with unit_of_work() as session:
        return clicks.load_variant_info(session, delivery, link_table)


async def _loaded_variant(delivery: TrackedDelivery) -> clicks.VariantInfo | None:
    info = await run_in_threadpool(_load, delivery)
    _cache().put(delivery, info)
    return info


async def _record(row: dict[str, object]) -> None:
    recorder = get_recorder()
    if recorder.journal(row):  # the usual case on PostgreSQL: nothing to wait for
        return
    try:
        await recorder.record(row)
    except Exception:  # the recorder spools when the database is down; this is only the disk failing too
        logger.exception("tracking: an event could not be stored")


def _client(request: Request) -> tuple[str | None, str | None]:
    return request.headers.get("user-agent"), request.client.host if request.client else None


def _pixel() -> Response:
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


async def _record_open(token: str, agent: str | None, ip: str | None) -> None:
    """Record an open when the token is genuine and not expired (the pixel is served whatever happens)."""
    try:
        delivery = read_open_token(token)
    except InvalidInput:
        return
    if not delivery.expired():
        await _record(clicks.event_row(TouchKind.OPEN, delivery, machine=machine.open_reason(agent, ip),
                                       user_agent=agent, ip=ip))


@router.api_route("/o/{token}", methods=["GET", "HEAD"])
async def open_pixel(request: Request, token: Token) -> Response:
    """Serve the pixel; record an open when the token is genuine and not expired."""
    await _record_open(token, *_client(request))
    return _pixel()


def _page(request: Request, state: str, *, url: str | None = None, status_code: int) -> Response:
    return render(request, "tracking/link.html", {"state": state, "url": url}, status_code=status_code,
                  headers=_REDIRECT)


class _Click(NamedTuple):
    """A click token read and resolved (a named tuple: one is made per click, and a frozen dataclass costs ~1 µs)."""

    state: str  # "ok", or the page to show: "invalid" (400), "unknown" (404), "expired" (410)
    token: ClickToken | None = None
    url: str | None = None
    info: clicks.VariantInfo | None = None


def _resolve_cached(token: str) -> _Click | ClickToken:
    """The click, or its token when its variant's links must be loaded first (`_resolve_click`)."""
    try:
        data = read_click_token(token)
    except InvalidInput:
        return _Click("invalid")
    known, info = _cache().get(data.delivery)
    return _resolved(data, info) if known else data


def _resolved(data: ClickToken, info: clicks.VariantInfo | None) -> _Click:
    url = None if info is None else clicks.original_url(data, info)
    if info is None or url is None:
        return _Click("unknown")
    if data.delivery.expired():
        return _Click("expired", data, url)
    return _Click("ok", data, url, info)


async def _resolve_click(token: str) -> _Click:
    found = _resolve_cached(token)
    if isinstance(found, _Click):
        return found
    return _resolved(found, await _loaded_variant(found.delivery))


async def _follow(click: _Click, method: str, agent: str | None, ip: str | None) -> str:
    """Record a genuine click; return where to send the visitor."""
    assert click.token is not None and click.url is not None and click.info is not None
    await _record_click(click.token, click.url, method, agent, ip)
    return clicks.destination(click.url, click.token, click.info)


@router.api_route("/c/{token}", methods=["GET", "HEAD"])
async def click(request: Request, token: Token) -> Response:
    """Redirect to the link's destination with UTM parameters and the click id; record the click."""
    resolved = await _resolve_click(token)
    if resolved.state != "ok":
        return _page(request, resolved.state, url=resolved.url, status_code=_STATUS[resolved.state])
    location = await _follow(resolved, request.method, *_client(request))
    return Response(status_code=302, headers={**_REDIRECT, "Location": location})


async def _record_click(data: ClickToken, url: str, method: str, agent: str | None, ip: str | None) -> None:
    await _record(_click_row(data, url, method, agent, ip))


def _click_row(data: ClickToken, url: str, method: str, agent: str | None, ip: str | None) -> dict[str, object]:
    delivery = data.delivery
    reason = machine.click_reason(method=method, user_agent=agent, ip=ip, issued_at=delivery.issued_at,
                                  now=time.time())
    row = clicks.event_row(TouchKind.CLICK, delivery, url=url, link_index=data.link_index, machine=reason,
                           user_agent=agent, ip=ip)
    if _bursts.click(delivery.delivery_id, data.link_index):
        row.update(machine=True, machine_reason=reason or machine.BURST)
        get_recorder().reflag(delivery_id=delivery.delivery_id, since=row["occurred_at"] - _BURST,
                              reason=machine.BURST)
    return row


@router.api_route("/h/{token}", methods=["GET", "HEAD"])
async def honeypot(request: Request, token: Token) -> Response:
    """The hidden link only machines follow: record a machine click, flag the message's recent clicks."""
    try:
        delivery = read_open_token(token)
    except InvalidInput:
        return _page(request, "invalid", status_code=400)
    if not delivery.expired():
        agent, ip = _client(request)
        row = clicks.event_row(TouchKind.CLICK, delivery, link_index=-1, machine=machine.HONEYPOT,
                               user_agent=agent, ip=ip)
        get_recorder().reflag(delivery_id=delivery.delivery_id,
                              since=row["occurred_at"] - _BURST, reason=machine.HONEYPOT)
        await _record(row)
    return Response(status_code=204, headers=_REDIRECT)


# -- the fast path -------------------------------------------------------------------------------------
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
_PIXEL_HEADERS = [(b"content-type", b"image/gif"), (b"content-length", str(len(PIXEL)).encode()),
                  *((k.lower().encode(), v.encode()) for k, v in _NO_STORE.items())]
_REDIRECT_HEADERS = [(b"content-length", b"0"), *((k.lower().encode(), v.encode()) for k, v in _REDIRECT.items())]


def with_tracking_fast_path(app: ASGIApp) -> ASGIApp:
    """Serve pixels and genuine click redirects before the application's routing and middleware.

    The same functions as the routes above, answered in plain ASGI: FastAPI's routing over every route
    of the application and its request/response objects cost several times the tracking work itself
    (bench/tracking.py). Anything but a pixel or a redirect (a bad or expired token) goes on to `app`.
    """

    async def serve(scope: Scope, receive: Callable[[], Awaitable[Any]],
                    send: Callable[[Any], Awaitable[None]]) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path[:3] in ("/c/", "/o/") and scope["method"] in ("GET", "HEAD") and path.count("/") == 2:
            agent = None
            for name, value in scope["headers"]:
                if name == b"user-agent":
                    agent = value.decode("latin-1")
                    break
            client = scope.get("client")
            ip = client[0] if client else None
            body = b"" if scope["method"] == "HEAD" else PIXEL
            if path[1] == "o":
                await _record_open(path[3:], agent, ip)
                await send({"type": "http.response.start", "status": 200, "headers": _PIXEL_HEADERS})
                await send({"type": "http.response.body", "body": body})
                return
            # Written out without awaiting where nothing needs to wait: each coroutine call costs per click.
            found = _resolve_cached(path[3:])
            resolved = found if isinstance(found, _Click) else await _resolve_click(path[3:])
            if resolved.state == "ok":
                assert resolved.token is not None and resolved.url is not None and resolved.info is not None
                row = _click_row(resolved.token, resolved.url, scope["method"], agent, ip)
                if not get_recorder().journal(row):
                    await _record(row)
                location = clicks.destination(resolved.url, resolved.token, resolved.info)
                await send({"type": "http.response.start", "status": 302,
                            "headers": [*_REDIRECT_HEADERS, (b"location", location.encode("latin-1"))]})
                await send({"type": "http.response.body", "body": b""})
                return
        await app(scope, receive, send)

    return serve

