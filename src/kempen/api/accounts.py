"""Who am I, and API key management."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from kempen.accounts import service as accounts
from kempen.http.deps import Admin, SessionDep, Viewer
from kempen.models import Role

router = APIRouter(tags=["accounts"])


class Me(BaseModel):
    workspace_id: int
    role: Role
    user_id: int | None
    api_key_id: int | None


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    display_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself; shown this once and never again")


@router.get("/me", response_model=Me)
def me(principal: Viewer) -> Me:
    """The workspace and role of the calling key."""
    return Me(workspace_id=principal.workspace_id, role=principal.role, user_id=principal.user_id,
              api_key_id=principal.api_key_id)


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(session: SessionDep, principal: Admin) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in accounts.list_api_keys(session, workspace_id=principal.workspace_id)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(session: SessionDep, principal: Admin, data: ApiKeyCreate) -> ApiKeyCreated:
    """Create a key with a role no higher than the caller's."""
    api_key, key = accounts.create_api_key(session, workspace_id=principal.workspace_id, name=data.name,
                                           role=data.role, created_by=principal)
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=key)


@router.delete("/api-keys/{api_key_id}", response_model=ApiKeyOut)
def revoke_api_key(session: SessionDep, principal: Admin, api_key_id: int) -> ApiKeyOut:
    return ApiKeyOut.model_validate(accounts.revoke_api_key(session, principal=principal, api_key_id=api_key_id))
