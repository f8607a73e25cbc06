"""The brand kit page (/settings/brand): the kit form, the logo, a sample email, the sender identities.

Everyone reads; managers and admins change the kit and logo; admins manage sender identities. The
sample is rendered from the form as it is typed (HTMX), without saving, in the sandboxed email frame.
The logo is also served here, publicly: it is shown in emails, to people who never log in.
"""

from __future__ import annotations

import contextlib
import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from kempen.brand import kit, senders
from kempen.brand.kit_schemas import BrandKitUpdate, SenderIdentityCreate, SenderIdentityUpdate
from kempen.brand.sample import sample_email
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import KempenError
from kempen.models import Role
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render
from kempen.web.views.email_frame import email_frame_headers

router = APIRouter(include_in_schema=False)
PAGE = "/settings/brand"
KIT_FIELDS = ("name", "primary_colour", "secondary_colour", "accent_colour", "text_colour", "background_colour",
              "font_family", "footer_html", "footer_text")
IDENTITY_FIELDS = ("label", "from_name", "from_email", "reply_to")
_NOTICES = {"saved": "Brand kit saved.", "logo": "Logo saved.", "logo-removed": "Logo removed.",
            "sender-added": "Sender identity added.", "sender-saved": "Sender identity saved.",
            "sender-deleted": "Sender identity deleted.", "default": "Default sender changed."}
_LOGO_NAME = re.compile(r"([0-9a-f]{64})\.(png|jpg|gif|webp)")
MAX_FIELD = 100_000


def _can_edit_kit(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.MANAGER)


def _can_edit_senders(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.ADMIN)


def _refused(request: Request, ctx: WebContext, what: str, role: str) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "brand", "status_code": 403,
                                          "title": "You cannot do that here",
                                          "message": f"{what} needs the {role} role."}, status_code=403)


def _kit_form(out: Any) -> dict[str, str]:
    colours = out.colours
    return {"name": out.name, "primary_colour": colours.primary, "secondary_colour": colours.secondary,
            "accent_colour": colours.accent, "text_colour": colours.text, "background_colour": colours.background,
            "font_family": out.font_family, "footer_html": out.footer_html, "footer_text": out.footer_text}


def _sample(session: SessionDep, ctx: WebContext, form: dict[str, str] | None = None) -> dict[str, str]:
    """The sample email for the saved kit, or for the form's unsaved values where they are valid colours."""
    variables = kit.brand_variables(session, workspace_id=ctx.workspace_id)
    saved = kit.get_brand_kit(session, workspace_id=ctx.workspace_id)
    # Relative, so the frame's policy (img-src 'self') shows it wherever Kempen's public address points.
    if saved is not None and saved.logo_sha256 and saved.logo_content_type:
        variables["logo_url"] = kit.logo_path(ctx.workspace_id, saved.logo_sha256, saved.logo_content_type)
    footer = saved.footer_html if saved else ""
    if form is not None:
        variables, footer = _unsaved(variables, form), form.get("footer_html", "")
    html, problem = sample_email(variables, footer)
    return {"html": html, "problem": problem}


def _unsaved(variables: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The `brand` variable with the form's values that pass the kit's checks (others keep the saved value)."""
    colours = dict(variables["colours"])
    for key in kit.COLOUR_FIELDS:
        with contextlib.suppress(KempenError):
            colours[key] = kit.checked_colour(form.get(f"{key}_colour", ""), key)
    font = variables["font_family"]
    with contextlib.suppress(KempenError):
        font = kit.checked_font_family(form.get("font_family", ""))
    name = form.get("name", "").strip()[:200] or variables["name"]
    return {**variables, "name": name, "colours": colours, "colors": dict(colours), "font_family": font}


def _page(request: Request, session: SessionDep, ctx: WebContext, *, form: dict[str, str] | None = None,
          sender_form: dict[str, str] | None = None, problem: str = "", sender_problem: str = "",
          notice: str = "", status_code: int = 200) -> Response:
    out = kit.kit_out(session, workspace_id=ctx.workspace_id)
    return render(request, "brand/page.html", {
        "ctx": ctx, "nav": "brand", "kit": out, "form": form or _kit_form(out),
        "logo_src": kit.logo_path(ctx.workspace_id, out.logo.sha256, out.logo.content_type) if out.logo else "",
        "sample": _sample(session, ctx, form), "identities": senders.list_identities(
            session, workspace_id=ctx.workspace_id),
        "sender_form": sender_form or {}, "problem": problem, "sender_problem": sender_problem,
        "notice": _NOTICES.get(notice, ""), "can_edit_kit": _can_edit_kit(ctx),
        "can_edit_senders": _can_edit_senders(ctx), "max_logo_mb": kit.MAX_LOGO_BYTES // (1024 * 1024),
    }, status_code=status_code, headers=email_frame_headers())


async def _form(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
    raw = await request.form()
    return {key: str(raw.get(key, ""))[:MAX_FIELD] for key in fields}


@router.get(PAGE)
def brand_page(request: Request, session: SessionDep, ctx: WebUser, notice: str = "") -> Response:
    """The brand kit, its sample email and the sender identities (forms for those who may change them)."""
    return _page(request, session, ctx, notice=notice[:20])


@router.post(PAGE)
async def save_kit(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Save the kit form (managers and admins); problems are shown on the form."""
    if not _can_edit_kit(ctx):
        return _refused(request, ctx, "Changing the brand kit", "manager")
    form = await _form(request, KIT_FIELDS)
    try:
        kit.update_brand_kit(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                             data=BrandKitUpdate(**form))
    except KempenError as exc:
        session.rollback()
        return _page(request, session, ctx, form=form, problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"{PAGE}?notice=saved", status_code=303)


@router.post(PAGE + "/sample")
async def sample(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """The sample email for the form's unsaved values (HTMX, as the form is edited)."""
    form = await _form(request, KIT_FIELDS)
    return render(request, "brand/_sample.html", {"sample": _sample(session, ctx, form)},
                  headers=email_frame_headers())


@router.post(PAGE + "/logo")
async def upload_logo(request: Request, session: SessionDep, ctx: CsrfChecked,
                      file: Annotated[UploadFile, File()]) -> Response:
    """Replace the logo (managers and admins)."""
    if not _can_edit_kit(ctx):
        return _refused(request, ctx, "Changing the logo", "manager")
    data = await file.read(kit.MAX_LOGO_BYTES + 1)
    try:
        kit.set_logo(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, data=data)
    except KempenError as exc:
        session.rollback()
        return _page(request, session, ctx, problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"{PAGE}?notice=logo", status_code=303)


@router.post(PAGE + "/logo/remove")
def remove_logo(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Remove the logo (managers and admins)."""
    if not _can_edit_kit(ctx):
        return _refused(request, ctx, "Changing the logo", "manager")
    kit.remove_logo(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor)
    return RedirectResponse(f"{PAGE}?notice=logo-removed", status_code=303)


@router.post(PAGE + "/senders")
async def add_sender(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Add a sender identity (admins)."""
    if not _can_edit_senders(ctx):
        return _refused(request, ctx, "Managing sender identities", "admin")
    form = await _form(request, (*IDENTITY_FIELDS, "is_default"))
    try:
        senders.create_identity(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                data=SenderIdentityCreate(**{key: form[key] for key in IDENTITY_FIELDS},
                                                          is_default=bool(form["is_default"])))
    except KempenError as exc:
        session.rollback()
        return _page(request, session, ctx, sender_form=form, sender_problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"{PAGE}?notice=sender-added#senders", status_code=303)


@router.post(PAGE + "/senders/{identity_id}")
async def update_sender(request: Request, session: SessionDep, ctx: CsrfChecked, identity_id: IdPath) -> Response:
    """Change a sender identity (admins)."""
    if not _can_edit_senders(ctx):
        return _refused(request, ctx, "Managing sender identities", "admin")
    form = await _form(request, IDENTITY_FIELDS)
    return _sender_change(request, session, ctx, identity_id, SenderIdentityUpdate(**form), "sender-saved")


@router.post(PAGE + "/senders/{identity_id}/default")
def make_default_sender(request: Request, session: SessionDep, ctx: CsrfChecked, identity_id: IdPath) -> Response:
    """Make a sender identity the workspace's default (admins)."""
    if not _can_edit_senders(ctx):
        return _refused(request, ctx, "Managing sender identities", "admin")
    return _sender_change(request, session, ctx, identity_id, SenderIdentityUpdate(is_default=True), "default")


def _sender_change(request: Request, session: SessionDep, ctx: WebContext, identity_id: int,
                   data: SenderIdentityUpdate, notice: str) -> Response:
    try:
        senders.update_identity(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                identity_id=identity_id, data=data)
    except KempenError as exc:
        session.rollback()
        return _page(request, session, ctx, sender_problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"{PAGE}?notice={notice}#senders", status_code=303)


@router.post(PAGE + "/senders/{identity_id}/delete")
def delete_sender(request: Request, session: SessionDep, ctx: CsrfChecked, identity_id: IdPath) -> Response:
    """Delete a sender identity (admins); refused while a campaign that may still send uses it."""
    if not _can_edit_senders(ctx):
        return _refused(request, ctx, "Managing sender identities", "admin")
    try:
        senders.delete_identity(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                identity_id=identity_id)
    except KempenError as exc:
        session.rollback()
        return _page(request, session, ctx, sender_problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"{PAGE}?notice=sender-deleted#senders", status_code=303)


@router.get("/brand/{workspace_id}/logo/{filename}")
def public_logo(session: SessionDep, workspace_id: IdPath,
                filename: Annotated[str, Path(max_length=80)]) -> Response:
    """The workspace's current logo, public and cacheable forever (its address names its content hash)."""
    match = _LOGO_NAME.fullmatch(filename)
    found = match and kit.public_logo(session, workspace_id=workspace_id, sha256=match[1], extension=match[2])
    if not found:
        return Response("Not found", status_code=404, media_type="text/plain")
    data, content_type = found
    return Response(data, media_type=content_type, headers={
        "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})
