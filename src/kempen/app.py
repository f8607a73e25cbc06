"""The ASGI application: API, web UI and static files in one process."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kempen import __version__
from kempen.api.router import api_router
from kempen.http.problems import install_problem_handlers
from kempen.planning.budgets import on_budget_alert
from kempen.teamwork.budget_alerts import notify_budget_alert
from kempen.web.routes import mount_web
from kempen.web.views.tracking import ASGIApp, with_tracking_fast_path

logger = logging.getLogger("kempen")
YOUNG_GC_THRESHOLD = 20_000


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    from kempen.background import start_background_workers
    from kempen.tracking.recorder import drain_recorder

    stop = start_background_workers()
    try:
        yield
    finally:
        await drain_recorder()
        stop()


def create_app(*, background: bool = True) -> FastAPI:
    """Build the application; `background=False` skips in-process workers (tests drive them directly)."""
    app = FastAPI(
        title="Kempen",
        version=__version__,
        summary="Campaign management for CRM and marketing teams",
        openapi_url="/openapi.json",
        docs_url="/docs",
        lifespan=lifespan if background else None,
    )
    install_problem_handlers(app)
    on_budget_alert(notify_budget_alert)  # budget warnings become notifications (registered once)
    app.include_router(api_router)
    mount_web(app)
    return app


def create_server_app() -> ASGIApp:
    """The application as `kempen serve` runs it: pixels and click redirects answered in front of it.

    They are most of the requests a sending workspace gets, and FastAPI's per-request work (its
    telemetry check, middleware and routing over every route) costs more than the tracking itself.
    The routes behind answer the same, and everything else (bad or expired tokens included).
    """
    app = with_tracking_fast_path(create_app())
    # What is loaded by now (modules, routes, models: ~300,000 objects) lives as long as the process. Freezing
    # it takes it out of the cyclic collector's full collections, which steady tracking traffic triggers
    # every few seconds and which otherwise walk all of it: measured ~18 us of CPU per click (bench/tracking.py).
    gc.collect()
    gc.freeze()
    # And collect the young generation every 20,000 new objects instead of 700. Each in-flight request keeps
    # a few dozen objects (task, scope, protocol state) alive, so with hundreds of connections each young
    # collection walks thousands of objects and promotes them, and older collections follow: ~6 us of CPU per
    # click at 700 (bench/README.md). Garbage cycles now wait a little longer: a few MB at most.
    gc.set_threshold(YOUNG_GC_THRESHOLD, 20, 20)
    return app
