"""Errors that services raise and entry points turn into problem+json or a CLI message."""

from __future__ import annotations

from typing import Any


class KempenError(Exception):
    """Base class: a request that cannot be honoured, with a status an HTTP layer can use."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(KempenError):
    status = 404
    title = "Not found"


class Conflict(KempenError):
    status = 409
    title = "Conflict"


class InvalidInput(KempenError):
    status = 422
    title = "Invalid input"


class NotAuthenticated(KempenError):
    status = 401
    title = "Not authenticated"


class PermissionDenied(KempenError):
    status = 403
    title = "Forbidden"
