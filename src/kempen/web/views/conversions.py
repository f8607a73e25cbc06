"""The snippet's public conversion endpoint (/t/conversion) and the site key box of the settings page.

/t/conversion is called from any website by `kempen-track.js`: CORS for any origin without
credentials, a JSON or text/plain body (text/plain needs no preflight) of at most 4 KiB, 204 when
stored (or already stored). A per-IP token bucket in memory answers 429 to floods; behind a reverse
proxy every visitor shares the proxy's address, so put the limit on the proxy there instead.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kempen.db import unit_of_work
from kempen.http.deps import SessionDep
from kempen.models import Role
from kempen.tracking import site_keys
from kempen.tracking.conversions import SiteConversionIn, describe, record_site_conversion
from kempen.web.auth import CsrfChecked, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_BODY = 4 * 1024
_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
         "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400",
         "Cache-Control": "no-store"}


class TokenBucket:
    """Allow `burst` requests at once per key, refilled at `rate` per second (in memory, per process)."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 50_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._buckets.clear()  # a flood of addresses: forget them all rather than grow without bound
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True

    def reset(self) -> None:
        """Forget every bucket."""
        with self._lock:
            self._buckets.clear()


# A shopper converts a few times per visit; 20 at once and one every 2 seconds after is generous.
limiter = TokenBucket(rate=0.5, burst=20)


def _problem(status: int, title: str, detail: str) -> Response:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    return Response(body, status_code=status, media_type="application/problem+json", headers=_CORS)


@router.options("/t/conversion")
def conversion_preflight() -> Response:
    """Allow cross-origin posts from any website (no credentials)."""
    return Response(status_code=204, headers=_CORS)


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is larger than MAX_BODY."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


def _store(data: SiteConversionIn) -> Response:
    with unit_of_work() as session:
        workspace_id = site_keys.workspace_for_site_key(session, data.site)
        if workspace_id is None:
            return _problem(404, "Unknown site", "No workspace has this site key; copy the snippet again.")
        item = record_site_conversion(session, workspace_id=workspace_id, data=data)
    if item.status == "error":
        return _problem(422, "Invalid input", item.error or "The conversion was refused.")
    return Response(status_code=204, headers=_CORS)


@router.post("/t/conversion")
async def site_conversion(request: Request) -> Response:
    """Record a conversion sent by the website snippet; 204 when stored or already stored."""
    if not limiter.allow(request.client.host if request.client else "unknown"):
        return _problem(429, "Too many requests", "Too many conversions from this address; try again later.")
    body = await _body(request)
    if body is None:
        return _problem(413, "Payload too large", f"A conversion is at most {MAX_BODY // 1024} KiB.")
    try:
        raw: Any = orjson.loads(body)
        data = SiteConversionIn.model_validate(raw)
    except orjson.JSONDecodeError:
        return _problem(400, "Bad request", "Send the conversion as a JSON object.")
    except ValidationError as exc:
        return _problem(422, "Invalid input", describe(exc))
    return await run_in_threadpool(_store, data)


# The site key box on /settings/tracking (loaded into the page by HTMX).

def _site_box(request: Request, ctx: Any, site_key: str, *, rotated: bool = False) -> Response:
    origin = str(request.base_url).rstrip("/")
    return render(request, "reports/settings_site.html", {
        "ctx": ctx, "site_key": site_key, "origin": origin, "rotated": rotated,
        "can_change": ctx.principal.role.includes(Role.ADMIN)})


@router.get("/settings/tracking/site")
def site_key_box(request: Request, session: SessionDep, ctx: WebUser) -> Response:
    """The site key and the snippet to paste into a website."""
    return _site_box(request, ctx, site_keys.get_site_key(session, workspace_id=ctx.workspace_id))


@router.post("/settings/tracking/site")
def rotate_site_key(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Replace the site key (admins)."""
    if not ctx.principal.role.includes(Role.ADMIN):
        return Response("Changing the site key needs the admin role.", status_code=403)
    key = site_keys.rotate_site_key(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor)
    return _site_box(request, ctx, key, rotated=True)
