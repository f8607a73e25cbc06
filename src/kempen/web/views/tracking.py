"""Public tracking endpoints: the open pixel (/o), the click redirect (/c) and the honeypot link (/h).

Asynchronous and without a request session: a genuine token is checked by its signature alone, the
variant's links and UTM settings come from an in-process cache, and the event goes to the recorder,
whose group write is awaited so the answer leaves only once the event is durable. A bad token
records nothing: the pixel is served anyway, a click gets a 400 page.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Annotated

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


async def _variant(delivery: TrackedDelivery) -> clicks.VariantInfo | None:
    cache = _cache()
    known, info = cache.get(delivery)
    if not known:
        info = await run_in_threadpool(_load, delivery)
        cache.put(delivery, info)
    return info


async def _record(row: dict[str, object]) -> None:
    try:
        await get_recorder().record(row)
    except Exception:  # the recorder spools when the database is down; this is only the disk failing too
        logger.exception("tracking: an event could not be stored")


def _client(request: Request) -> tuple[str | None, str | None]:
    return request.headers.get("user-agent"), request.client.host if request.client else None


def _pixel() -> Response:
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


@router.api_route("/o/{token}", methods=["GET", "HEAD"])
async def open_pixel(request: Request, token: Token) -> Response:
    """Serve the pixel; record an open when the token is genuine and not expired."""
    try:
        delivery = read_open_token(token)
    except InvalidInput:
        return _pixel()
    if not delivery.expired():
        agent, ip = _client(request)
        await _record(clicks.event_row(TouchKind.OPEN, delivery, machine=machine.open_reason(agent, ip),
                                       user_agent=agent, ip=ip))
    return _pixel()


def _page(request: Request, state: str, *, url: str | None = None, status_code: int) -> Response:
    return render(request, "tracking/link.html", {"state": state, "url": url}, status_code=status_code,
                  headers=_REDIRECT)


@router.api_route("/c/{token}", methods=["GET", "HEAD"])
async def click(request: Request, token: Token) -> Response:
    """Redirect to the link's destination with UTM parameters and the click id; record the click."""
    try:
        data = read_click_token(token)
    except InvalidInput:
        return _page(request, "invalid", status_code=400)
    info = await _variant(data.delivery)
    url = None if info is None else clicks.original_url(data, info)
    if info is None or url is None:
        return _page(request, "unknown", status_code=404)
    if data.delivery.expired():
        return _page(request, "expired", url=url, status_code=410)
    await _record_click(request, data, url)
    return Response(status_code=302, headers={**_REDIRECT, "Location": clicks.destination(url, data, info)})


async def _record_click(request: Request, data: ClickToken, url: str) -> None:
    agent, ip = _client(request)
    delivery = data.delivery
    reason = machine.click_reason(method=request.method, user_agent=agent, ip=ip, issued_at=delivery.issued_at,
                                  now=time.time())
    row = clicks.event_row(TouchKind.CLICK, delivery, url=url, link_index=data.link_index, machine=reason,
                           user_agent=agent, ip=ip)
    if _bursts.click(delivery.delivery_id, data.link_index):
        row.update(machine=True, machine_reason=reason or machine.BURST)
        since = row["occurred_at"] - _BURST
        get_recorder().reflag(delivery_id=delivery.delivery_id, since=since, reason=machine.BURST)
    await _record(row)


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
