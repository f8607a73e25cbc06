"""The brand kit (look, logo, footers) and sender identities.

Everyone reads. Managers and admins change the kit; only admins change sender identities, since they
decide which addresses the workspace sends from.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile
from fastapi import status as http

from kempen.brand import kit, senders
from kempen.brand import kit_schemas as schemas
from kempen.http.deps import Admin, IdPath, Manager, SessionDep, Viewer

router = APIRouter(tags=["brand"])
IDENTITY = "/sender-identities/{identity_id}"


@router.get("/brand", response_model=schemas.BrandKit)
def get_brand_kit(session: SessionDep, principal: Viewer) -> Any:
    """The workspace's brand kit (Kempen's neutral defaults until first saved)."""
    return kit.kit_out(session, workspace_id=principal.workspace_id)


@router.patch("/brand", response_model=schemas.BrandKit)
def update_brand_kit(session: SessionDep, principal: Manager, data: schemas.BrandKitUpdate) -> Any:
    """Change the name, colours (#rrggbb), font or footers; a footer must link {{ unsubscribe_url }}."""
    kit.update_brand_kit(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)
    return kit.kit_out(session, workspace_id=principal.workspace_id)


@router.put("/brand/logo", response_model=schemas.BrandKit)
async def upload_logo(session: SessionDep, principal: Manager, file: UploadFile) -> Any:
    """Replace the logo: a PNG, JPEG, GIF or WebP file of at most 1 MB (the type is read from the bytes)."""
    data = await file.read(kit.MAX_LOGO_BYTES + 1)
    kit.set_logo(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)
    return kit.kit_out(session, workspace_id=principal.workspace_id)


@router.delete("/brand/logo", response_model=schemas.BrandKit)
def remove_logo(session: SessionDep, principal: Manager) -> Any:
    """Remove the logo; templates then see an empty brand.logo_url."""
    kit.remove_logo(session, workspace_id=principal.workspace_id, actor=principal.actor)
    return kit.kit_out(session, workspace_id=principal.workspace_id)


@router.get("/sender-identities", response_model=schemas.SenderIdentityPage)
def list_sender_identities(session: SessionDep, principal: Viewer) -> Any:
    """Every sender identity, the default first."""
    return schemas.SenderIdentityPage(items=senders.list_identities(session, workspace_id=principal.workspace_id))


@router.post("/sender-identities", response_model=schemas.SenderIdentity, status_code=http.HTTP_201_CREATED)
def create_sender_identity(session: SessionDep, principal: Admin, data: schemas.SenderIdentityCreate) -> Any:
    """Add a sender identity; 409 when the label is taken. is_default true makes it the only default."""
    return senders.create_identity(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.get(IDENTITY, response_model=schemas.SenderIdentity)
def get_sender_identity(session: SessionDep, principal: Viewer, identity_id: IdPath) -> Any:
    """One sender identity."""
    return senders.get_identity_or_raise(session, workspace_id=principal.workspace_id, identity_id=identity_id)


@router.patch(IDENTITY, response_model=schemas.SenderIdentity)
def update_sender_identity(session: SessionDep, principal: Admin, identity_id: IdPath,
                           data: schemas.SenderIdentityUpdate) -> Any:
    """Change the fields given; 409 when the new label is taken."""
    return senders.update_identity(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                   identity_id=identity_id, data=data)


@router.delete(IDENTITY, status_code=http.HTTP_204_NO_CONTENT)
def delete_sender_identity(session: SessionDep, principal: Admin, identity_id: IdPath) -> None:
    """Remove a sender identity; 409 naming the campaigns that have not finished and still use it."""
    senders.delete_identity(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            identity_id=identity_id)
