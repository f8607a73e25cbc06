"""The content blocks pages: the list (with the form to add one) and a block's page (edit, preview, used by, delete).

Everyone in the workspace sees them; marketers and up create, edit and delete (blocks are content).
Forms post normally: a redirect on success, the form again with the problem (part and line) on failure.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.brand import block_schemas as schemas
from kempen.brand import blocks
from kempen.http.deps import SessionDep
from kempen.kit.errors import KempenError, NotFound
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render
from kempen.web.views.campaign_pages import can_edit, forbidden, invalid_fields, not_found

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Source = Annotated[str, Form(max_length=schemas.MAX_SOURCE)]
NEEDS_MARKETER = "Changing content blocks needs the marketer role."
NAV = "content_blocks"


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "Not saved: " + "; ".join(f"{k}: {v}" for k, v in invalid_fields(exc).items())
    assert isinstance(exc, KempenError)
    return exc.detail


def _list_page(request: Request, session: Session, ctx: WebContext, *, form: dict[str, str] | None = None,
               problem: str | None = None, status_code: int = 200) -> Response:
    usage = blocks.block_usage(session, workspace_id=ctx.workspace_id)
    return render(request, "content_blocks/list.html", {
        "ctx": ctx, "nav": NAV, "can_edit": can_edit(ctx), "problem": problem, "usage": usage,
        "items": blocks.list_blocks(session, workspace_id=ctx.workspace_id),
        "form": form or {"key": "", "name": "", "description": "", "html": "", "text": ""},
        "deleted": request.query_params.get("deleted")}, status_code=status_code)


@router.get("/content-blocks")
def content_blocks_page(request: Request, session: SessionDep, ctx: WebUser) -> Response:
    """Every block with the number of campaigns using it; marketers add one here."""
    return _list_page(request, session, ctx)


@router.post("/content-blocks")
def create_content_block(request: Request, session: SessionDep, ctx: CsrfChecked, key: Short = "", name: Short = "",
                         description: Source = "", html: Source = "", text: Source = "") -> Response:
    """Add a block and open its page."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    form = {"key": key.strip(), "name": name, "description": description, "html": html, "text": text}
    try:
        data = schemas.ContentBlockCreate.model_validate(form)
        blocks.create_block(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, data=data)
    except (ValidationError, KempenError) as exc:
        session.rollback()
        return _list_page(request, session, ctx, form=form, problem=_problem(exc),
                          status_code=getattr(exc, "status", 422))
    return RedirectResponse(f"/content-blocks/{form['key']}?saved=1", status_code=303)


def _block_page(request: Request, session: Session, ctx: WebContext, key: str, *,
                form: dict[str, str] | None = None, problem: str | None = None, status_code: int = 200) -> Response:
    block = blocks.describe_block(session, workspace_id=ctx.workspace_id, key=key)
    preview: Any = None
    preview_problem = None
    try:
        preview = blocks.preview_block(session, workspace_id=ctx.workspace_id, key=key)
    except KempenError as exc:
        preview_problem = exc.detail
    return render(request, "content_blocks/block.html", {
        "ctx": ctx, "nav": NAV, "block": block, "can_edit": can_edit(ctx), "problem": problem,
        "form": form or {"name": block.name, "description": block.description, "html": block.html,
                         "text": block.text},
        "preview": preview, "preview_problem": preview_problem,
        "saved": request.query_params.get("saved") == "1"}, status_code=status_code)


@router.get("/content-blocks/{key}")
def content_block_page(request: Request, session: SessionDep, ctx: WebUser, key: str) -> Response:
    """A block: its versions (editable by marketers), a rendered preview and the campaigns using it."""
    try:
        return _block_page(request, session, ctx, key)
    except NotFound:
        return not_found(request, ctx, "Content block")


@router.post("/content-blocks/{key}")
def update_content_block(request: Request, session: SessionDep, ctx: CsrfChecked, key: str, name: Short = "",
                         description: Source = "", html: Source = "", text: Source = "") -> Response:
    """Save a block's changes; approved or scheduled campaigns using it go back for approval."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    form = {"name": name, "description": description, "html": html, "text": text}
    try:
        data = schemas.ContentBlockUpdate.model_validate(form)
        blocks.update_block(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, key=key, data=data)
    except NotFound:
        session.rollback()
        return not_found(request, ctx, "Content block")
    except (ValidationError, KempenError) as exc:
        session.rollback()
        return _block_page(request, session, ctx, key, form=form, problem=_problem(exc),
                           status_code=getattr(exc, "status", 422))
    return RedirectResponse(f"/content-blocks/{key}?saved=1", status_code=303)


@router.post("/content-blocks/{key}/delete")
def delete_content_block(request: Request, session: SessionDep, ctx: CsrfChecked, key: str,
                         confirm: Short = "") -> Response:
    """Delete a block once confirmed; refused while a campaign not launched yet uses it."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    try:
        if confirm != "yes":
            blocks.get_block_or_raise(session, workspace_id=ctx.workspace_id, key=key)
            return _block_page(request, session, ctx, key, problem="Tick the box to confirm the deletion.",
                               status_code=422)
        blocks.delete_block(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, key=key)
    except NotFound:
        session.rollback()
        return not_found(request, ctx, "Content block")
    except KempenError as exc:
        session.rollback()
        return _block_page(request, session, ctx, key, problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/content-blocks?deleted={key}", status_code=303)
