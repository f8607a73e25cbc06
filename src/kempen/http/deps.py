"""FastAPI dependencies: the request's unit of work and who is calling, with role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.accounts.service import Principal
from kempen.db import unit_of_work
from kempen.kit.clock import utcnow
from kempen.kit.errors import NotAuthenticated
from kempen.kit.ids import MAX_ID
from kempen.models import ApiKey, Role


def get_session() -> Iterator[Session]:
    """One transaction per request: commit if the handler succeeded, roll back if it raised."""
    with unit_of_work() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is reported, not lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer kmp_…`")


def get_api_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate an API call by its key."""
    if credentials is None:
        raise NotAuthenticated("Send an API key as `Authorization: Bearer <key>`.")
    principal = accounts.principal_for_api_key(session, credentials.credentials)
    if principal is None:
        raise NotAuthenticated("The API key is not valid or has been revoked.")
    _touch_key(session, principal)
    return principal


def _touch_key(session: Session, principal: Principal) -> None:
    # Record use at most hourly so that authenticating stays a read on the hot path.
    key = session.get(ApiKey, principal.api_key_id)
    now = utcnow()
    if key is not None and (key.last_used_at is None or now - key.last_used_at > timedelta(hours=1)):
        key.last_used_at = now


def require_role(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets the call through only for `role` or higher."""

    def check(principal: Annotated[Principal, Depends(get_api_principal)]) -> Principal:
        principal.require(role)
        return principal

    check.__name__ = f"require_{role.value}"
    return check


# A row id in a URL path; out-of-range ids are a 422, never a database error.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Analyst = Annotated[Principal, Depends(require_role(Role.ANALYST))]
Marketer = Annotated[Principal, Depends(require_role(Role.MARKETER))]
Manager = Annotated[Principal, Depends(require_role(Role.MANAGER))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
