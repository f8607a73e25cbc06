"""A campaign's messages and the variant editor: templates checked on save with errors shown at their line,
and a live preview (rendered for the sample contact or a chosen one) in a sandboxed iframe."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.brand import senders
from kempen.campaigns import messages, schemas
from kempen.campaigns import service as campaigns
from kempen.campaigns.preview import preview_content
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import Conflict, InvalidInput, KempenError, NotFound
from kempen.models import EDITABLE_STATUSES, Channel
from kempen.segments import preview as segment_preview
from kempen.segments import rules
from kempen.segments import service as segments
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import WEB_DIR, render
from kempen.web.views import campaign_winner
from kempen.web.views.campaign_pages import campaign_page, can_edit, forbidden, invalid_fields, not_found
from kempen.web.views.email_frame import email_frame_headers

router = APIRouter(include_in_schema=False)
Source = Annotated[str, Form(max_length=300_000)]
SHORT = Annotated[str, Form(max_length=400)]
PARTS = {"subject": "Subject", "preheader": "Preheader", "html": "HTML", "text": "Text part", "body": "Body"}
CONTACT_CHOICES = 8
# What a new email message starts from: a small, valid template that shows the syntax.
STARTER_SUBJECT = "A note for you, {{ first_name | default('friend') }}"
STARTER_HTML = (WEB_DIR / "templates" / "campaigns" / "starter_email.html").read_text()


@dataclass(frozen=True)
class TemplateError:
    """A template problem as shown under its field: the message, and the line it is on with that line's text."""

    field: str
    message: str
    line: int | None = None
    source_line: str = ""

    @property
    def part(self) -> str:
        return PARTS.get(self.field, self.field)


def template_errors(exc: KempenError, form: dict[str, Any]) -> list[TemplateError]:
    """The service's template errors (field, line, message), each with the line of source it points at."""
    shown = []
    for error in exc.errors or [{"message": exc.detail}]:
        field, line = str(error.get("field") or ""), error.get("line")
        lines = str(form.get(field) or "").split("\n")
        source = lines[line - 1] if isinstance(line, int) and 1 <= line <= len(lines) else ""
        shown.append(TemplateError(field, str(error.get("message") or exc.detail), line, source.rstrip()))
    return shown


def _variant_form(variant: schemas.Variant) -> dict[str, Any]:
    return {"name": variant.name, "split_percent": str(variant.split_percent), "subject": variant.subject,
            "preheader": variant.preheader, "html": variant.html, "text": variant.text or "", "body": variant.body}


def _contact_choices(session: Session, ctx: WebContext, segment_id: int | None) -> list[Any]:
    """A few of the audience's contacts to preview with (newest first)."""
    if segment_id is None:
        return []
    try:
        # The newest few members only: a full preview would count the whole segment (0.5 s at 100k contacts).
        rule = rules.rule_from_json(segments.get_segment(session, workspace_id=ctx.workspace_id,
                                                         segment_id=segment_id).rule)
        members = segment_preview.members_query(session, ctx.workspace_id, rule)
        return segment_preview.sample(session, ctx.workspace_id, members, CONTACT_CHOICES)
    except KempenError:
        return []


def _preview(session: Session, ctx: WebContext, channel: Channel, form: dict[str, Any],
             contact_id: int | None) -> dict[str, Any]:
    """Render the editor's content; template problems come back as errors, never as a failed request."""
    try:
        request = schemas.PreviewRequest(channel=channel, contact_id=contact_id, subject=form["subject"],
                                         preheader=form["preheader"], html=form["html"],
                                         text=form["text"] or None, body=form.get("body", ""))
        return {"preview": preview_content(session, workspace_id=ctx.workspace_id, data=request), "preview_errors": []}
    except NotFound:
        return {"preview": None, "preview_errors": [], "contact_error": f"There is no contact #{contact_id} in this workspace."}
    except ValidationError as exc:
        return {"preview": None, "preview_errors": [TemplateError(k, v) for k, v in invalid_fields(exc).items()]}
    except KempenError as exc:
        return {"preview": None, "preview_errors": template_errors(exc, form)}


def find_message(detail: schemas.CampaignDetail, message_id: int) -> schemas.Message:
    """The campaign's message, or NotFound (also for another campaign's message)."""
    found = next((m for m in detail.messages if m.id == message_id), None)
    if found is None:
        raise NotFound(f"No message {message_id} in campaign {detail.id}.")
    return found


def find_variant(message: schemas.Message, variant_id: int) -> schemas.Variant:
    found = next((v for v in message.variants if v.id == variant_id), None)
    if found is None:
        raise NotFound(f"No variant {variant_id} in message {message.id}.")
    return found


def _detail(session: Session, ctx: WebContext, campaign_id: int) -> schemas.CampaignDetail:
    return campaigns.campaign_detail(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)


def _editor(request: Request, session: Session, ctx: WebContext, campaign_id: int, message_id: int,
            variant_id: int, *, form: dict[str, Any] | None = None, errors: list[TemplateError] | None = None,
            problem: str | None = None, saved: bool = False, status_code: int = 200) -> Response:
    detail = _detail(session, ctx, campaign_id)
    message = find_message(detail, message_id)
    variant = find_variant(message, variant_id)
    values = form or _variant_form(variant)
    by_field: dict[str, list[TemplateError]] = {}
    for error in errors or []:
        by_field.setdefault(error.field if error.field in PARTS or error.field in values else "", []).append(error)
    identity_id, sender = messages.message_sender(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                                  message_id=message_id)
    return render(request, "campaigns/variant.html", {
        "ctx": ctx, "nav": "campaigns", "campaign": detail, "message": message, "variant": variant,
        "sender": sender, "sender_identity_id": identity_id,
        "identities": senders.list_identities(session, workspace_id=ctx.workspace_id),
        "siblings": message.variants, "form": values, "errors": by_field, "problem": problem, "saved": saved,
        "can_edit": can_edit(ctx) and detail.status in EDITABLE_STATUSES, "is_marketer": can_edit(ctx),
        "contacts": _contact_choices(session, ctx, detail.segment_id), "contact_id": "",
        **_preview(session, ctx, message.channel, values, None),
    }, status_code=status_code, headers=email_frame_headers())


def _path(campaign_id: int, message_id: int, variant_id: int) -> str:
    return f"/campaigns/{campaign_id}/messages/{message_id}/variants/{variant_id}"


def _refused(request: Request, session: Session, ctx: WebContext, campaign_id: int, exc: KempenError) -> Response:
    session.rollback()
    return campaign_page(request, session, ctx, campaign_id, problem=exc.detail, status_code=exc.status)


@router.post("/campaigns/{campaign_id}/messages")
def add_message(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                channel: SHORT = Channel.EMAIL.value, name: SHORT = "") -> Response:
    """Add a message with a first variant to start from, and open that variant in the editor."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    try:
        kind = Channel(channel)
        first = (schemas.VariantCreate(subject=STARTER_SUBJECT, html=STARTER_HTML) if kind == Channel.EMAIL
                 else schemas.VariantCreate(body="Hi {{ first_name | default('there') }}!"))
        message = messages.add_message(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                       campaign_id=campaign_id,
                                       data=schemas.MessageCreate(channel=kind, name=name.strip() or None,
                                                                  variants=[first]))
        variant_id = find_message(_detail(session, ctx, campaign_id), message.id).variants[0].id
    except NotFound:
        return not_found(request, ctx)
    except (ValueError, ValidationError):
        return _refused(request, session, ctx, campaign_id, InvalidInput("Choose a channel and a shorter name."))
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    return RedirectResponse(_path(campaign_id, message.id, variant_id), status_code=303)


@router.post("/campaigns/{campaign_id}/messages/{message_id}")
def update_message(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, message_id: IdPath,
                   name: SHORT = "", from_name: SHORT = "", from_email: SHORT = "", reply_to: SHORT = "") -> Response:
    """Rename a message or change its sender (empty: the workspace's default)."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    try:
        data = schemas.MessageUpdate(name=name.strip() or None, from_name=from_name, from_email=from_email,
                                     reply_to=reply_to)
        messages.update_message(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                campaign_id=campaign_id, message_id=message_id, data=data)
    except NotFound:
        return not_found(request, ctx, "Message")
    except ValidationError as exc:
        return _refused(request, session, ctx, campaign_id, InvalidInput("; ".join(invalid_fields(exc).values())))
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=settings#message-{message_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/messages/{message_id}/sender")
def choose_sender(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, message_id: IdPath,
                  sender_identity_id: SHORT = "", back: SHORT = "") -> Response:
    """Choose the message's sender identity (empty: the workspace's default); back to the variant it came from."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    try:
        data = schemas.MessageUpdate(sender_identity_id=sender_identity_id or None)
        messages.update_message(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                campaign_id=campaign_id, message_id=message_id, data=data)
    except NotFound:
        return not_found(request, ctx, "Message")
    except ValidationError:
        return _refused(request, session, ctx, campaign_id, InvalidInput("Choose a sender identity from the list."))
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    # Only back to one of this message's variants (never an address taken from the form as is).
    variant = re.fullmatch(rf"/campaigns/{campaign_id}/messages/{message_id}/variants/(\d{{1,18}})", back)
    if variant is not None:
        return RedirectResponse(_path(campaign_id, message_id, int(variant[1])) + "?saved=true", status_code=303)
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=settings#message-{message_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/messages/{message_id}/delete")
def delete_message(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                   message_id: IdPath) -> Response:
    """Remove a message with its variants (the page asks first)."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    try:
        messages.delete_message(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                campaign_id=campaign_id, message_id=message_id)
    except NotFound:
        return not_found(request, ctx, "Message")
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=message-deleted", status_code=303)


@router.post("/campaigns/{campaign_id}/messages/{message_id}/variants")
def add_variant(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                message_id: IdPath) -> Response:
    """Add a variant starting from a copy of the last one (splits even out again) and open it."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    try:
        siblings = find_message(_detail(session, ctx, campaign_id), message_id).variants
        last = siblings[-1] if siblings else None
        data = schemas.VariantCreate(**({k: getattr(last, k) for k in PARTS} if last else {}))
        variant = messages.add_variant(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                       campaign_id=campaign_id, message_id=message_id, data=data)
    except NotFound:
        return not_found(request, ctx, "Message")
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    return RedirectResponse(_path(campaign_id, message_id, variant.id), status_code=303)


@router.get("/campaigns/{campaign_id}/messages/{message_id}/variants/{variant_id}")
def variant_editor(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath, message_id: IdPath,
                   variant_id: IdPath, saved: bool = False) -> Response:
    """Show a variant in the editor, with its preview for the sample contact."""
    try:
        return _editor(request, session, ctx, campaign_id, message_id, variant_id, saved=saved)
    except NotFound:
        return not_found(request, ctx, "Variant")


def _update(form: dict[str, Any]) -> schemas.VariantUpdate:
    split = form["split_percent"].strip().rstrip("%").strip()
    return schemas.VariantUpdate(name=form["name"], split_percent=split or None, subject=form["subject"],
                                 preheader=form["preheader"], html=form["html"], text=form["text"] or None,
                                 body=form["body"])


@router.post("/campaigns/{campaign_id}/messages/{message_id}/variants/{variant_id}")
def save_variant(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, message_id: IdPath,
                 variant_id: IdPath, name: SHORT = "", split_percent: SHORT = "", subject: Source = "",
                 preheader: Source = "", html: Source = "", text: Source = "", body: Source = "") -> Response:
    """Save a variant; templates that do not compile are refused and shown at their line."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    form = {"name": name, "split_percent": split_percent, "subject": subject, "preheader": preheader,
            "html": html, "text": text, "body": body}
    try:
        messages.update_variant(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                campaign_id=campaign_id, message_id=message_id, variant_id=variant_id,
                                data=_update(form))
    except NotFound:
        return not_found(request, ctx, "Variant")
    except ValidationError as exc:
        errors = [TemplateError(k, v) for k, v in invalid_fields(exc).items()]
        return _editor(request, session, ctx, campaign_id, message_id, variant_id, form=form, errors=errors,
                       problem="Not saved: check the fields marked below.", status_code=422)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        errors = template_errors(exc, form) if isinstance(exc, InvalidInput) else [TemplateError("name", exc.detail)]
        return _editor(request, session, ctx, campaign_id, message_id, variant_id, form=form, errors=errors,
                       problem="Not saved: fix the problems marked below.", status_code=exc.status)
    return RedirectResponse(_path(campaign_id, message_id, variant_id) + "?saved=true", status_code=303)


@router.post("/campaigns/{campaign_id}/messages/{message_id}/variants/{variant_id}/delete")
def delete_variant(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, message_id: IdPath,
                   variant_id: IdPath) -> Response:
    """Remove a variant (a lone remaining one takes the whole audience)."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    try:
        messages.delete_variant(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                campaign_id=campaign_id, message_id=message_id, variant_id=variant_id)
    except NotFound:
        return not_found(request, ctx, "Variant")
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=variant-deleted", status_code=303)


@router.post("/campaigns/{campaign_id}/messages/{message_id}/variants/{variant_id}/preview")
def preview(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, message_id: IdPath,
            variant_id: IdPath, subject: Source = "", preheader: Source = "", html: Source = "", text: Source = "",
            body: Source = "", contact_id: SHORT = "", contact_number: SHORT = "") -> Response:
    """Render the editor's unsaved content for the chosen contact (or the sample one), for the preview pane."""
    try:
        message = find_message(_detail(session, ctx, campaign_id), message_id)
    except NotFound:
        return Response(status_code=404)
    form = {"subject": subject, "preheader": preheader, "html": html, "text": text, "body": body}
    typed = (contact_number.strip().lstrip("#") or contact_id).strip()
    chosen = int(typed) if typed.isdigit() and len(typed) < 16 else None
    context = _preview(session, ctx, message.channel, form, chosen)
    if typed and chosen is None:
        context["contact_error"] = "A contact is chosen by its number, such as 42."
    return render(request, "campaigns/_preview.html", {"message": message, **context},
                  headers=email_frame_headers())


# The automatic winner's settings and "Pick winner now" live beside the editor's routes.
router.include_router(campaign_winner.router)
