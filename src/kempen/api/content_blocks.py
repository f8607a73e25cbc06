"""Content blocks: reusable HTML and text that templates pull in with `{% content "key" %}`.

Viewers read; marketers create, edit and delete (blocks are content). Errors are problem+json: 409 for a
key taken or a block still used, 422 for a version that does not compile (with its part and line).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi import status as http

from kempen.brand import block_schemas as schemas
from kempen.brand import blocks
from kempen.http.deps import Marketer, SessionDep, Viewer

router = APIRouter(tags=["content blocks"])
BLOCKS = "/content-blocks"
BLOCK = BLOCKS + "/{key}"
KeyPath = Annotated[str, Path(max_length=64, description="The block's key")]


@router.get(BLOCKS, response_model=list[schemas.ContentBlockOut])
def list_content_blocks(session: SessionDep, principal: Viewer) -> Any:
    """The workspace's blocks by name, each with the campaigns using it."""
    usage = blocks.block_usage(session, workspace_id=principal.workspace_id)
    found = []
    for block in blocks.list_blocks(session, workspace_id=principal.workspace_id):
        out = schemas.ContentBlockOut.model_validate(block)
        out.used_by = usage.get(block.key, [])
        found.append(out)
    return found


@router.post(BLOCKS, response_model=schemas.ContentBlockOut, status_code=http.HTTP_201_CREATED)
def create_content_block(session: SessionDep, principal: Marketer, data: schemas.ContentBlockCreate) -> Any:
    """Add a block; 409 when the key is taken, 422 when a version does not compile."""
    block = blocks.create_block(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)
    return blocks.describe_block(session, workspace_id=principal.workspace_id, key=block.key)


@router.get(BLOCK, response_model=schemas.ContentBlockOut)
def get_content_block(session: SessionDep, principal: Viewer, key: KeyPath) -> Any:
    """A block with the campaigns using it."""
    return blocks.describe_block(session, workspace_id=principal.workspace_id, key=key)


@router.patch(BLOCK, response_model=schemas.ContentBlockOut)
def update_content_block(session: SessionDep, principal: Marketer, key: KeyPath,
                         data: schemas.ContentBlockUpdate) -> Any:
    """Change a block; approved or scheduled campaigns using it go back for approval."""
    blocks.update_block(session, workspace_id=principal.workspace_id, actor=principal.actor, key=key, data=data)
    return blocks.describe_block(session, workspace_id=principal.workspace_id, key=key)


@router.delete(BLOCK, status_code=http.HTTP_204_NO_CONTENT)
def delete_content_block(session: SessionDep, principal: Marketer, key: KeyPath) -> None:
    """Delete a block; 409 while a campaign not launched yet, or another block, uses it."""
    blocks.delete_block(session, workspace_id=principal.workspace_id, actor=principal.actor, key=key)


@router.post(BLOCK + "/preview", response_model=schemas.BlockPreview)
def preview_content_block(session: SessionDep, principal: Viewer, key: KeyPath) -> Any:
    """Render the block's HTML and text with the sample contact and the brand."""
    return blocks.preview_block(session, workspace_id=principal.workspace_id, key=key)
