"""RFC 9457 problem details for every error the HTTP layer returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kempen.kit.errors import KempenError

logger = logging.getLogger("kempen.http")
PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, *, instance: str | None = None, **extra: Any) -> JSONResponse:
    """Build a problem+json response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, come back as problem+json."""

    @app.exception_handler(KempenError)
    async def _kempen_error(request: Request, exc: KempenError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, instance=request.url.path, errors=exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5])
        return problem(422, "Invalid input", summary or "The request is not valid.",
                       instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "Error")
        response = problem(exc.status_code, title, str(exc.detail), instance=request.url.path)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(IntegrityError)
    async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # A concurrent writer took a unique key between our check and our write.
        logger.info("integrity error on %s: %s", request.url.path, exc.orig)
        return problem(409, "Conflict", "The change conflicts with data written at the same time; retry it.",
                       instance=request.url.path)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the validators let through (an id beyond 64 bits, say).
        logger.info("data error on %s: %s", request.url.path, exc.orig)
        return problem(422, "Invalid input", "A value is out of range or of the wrong type for its field.",
                       instance=request.url.path)

    @app.exception_handler(OperationalError)
    async def _operational_error(request: Request, exc: OperationalError) -> JSONResponse:
        logger.warning("database unavailable on %s: %s", request.url.path, exc.orig)
        return problem(503, "Service unavailable", "The database is busy or unreachable; retry shortly.",
                       instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s", request.url.path)
        return problem(500, "Internal error", "Something went wrong on our side; it has been logged.",
                       instance=request.url.path)
