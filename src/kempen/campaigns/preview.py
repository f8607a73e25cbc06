"""Previews: a saved variant or unsaved editor content rendered for a real contact or the sample contact."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from kempen.brand.resolve import (
    BrandContent,
    brand_email,
    branded_sms,
    campaign_brand_content,
    current_brand_content,
)
from kempen.campaigns import schemas
from kempen.campaigns.content import Content, check_content, email_template, invalid_templates
from kempen.campaigns.readiness import content_of
from kempen.campaigns.repository import get_campaign_or_raise, get_message_or_raise, get_variant_or_raise
from kempen.campaigns.settings import get_send_settings
from kempen.kit.errors import InvalidInput
from kempen.models import Channel
from kempen.templates.context import contact_context, sample_context
from kempen.templates.email import render_email
from kempen.templates.sandbox import RenderProblem, TemplateProblem, check_template, render_template
from kempen.tracking.unsubscribe import preferences_url_from, unsubscribe_url

# The sample contact is no one: its link goes nowhere. A real contact's is their real signed link, whose
# page asks before it unsubscribes (a GET never does), so following it from a preview changes nothing.
UNSUBSCRIBE_PLACEHOLDER = "#unsubscribe-preview"
PREFERENCES_PLACEHOLDER = "#preferences-preview"
# The GSM 03.38 alphabet: an SMS body of these fits 160 characters a part; anything else needs UCS-2 (70).
_GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
              "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = "^{}\\[~]|€\f"


def sms_segments(body: str) -> int:
    """How many SMS parts a body takes (GSM-7: 160, or 153 each when split; UCS-2: 70, or 67)."""
    if not body:
        return 0
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def preview_context(session: Session, *, workspace_id: int, contact_id: int | None, channel: Channel,
                    campaign_id: int | None = None) -> dict[str, Any]:
    """The template context of a workspace contact (NotFound if not the workspace's) or of the sample contact."""
    if contact_id is None:
        return {**sample_context(), "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                "preferences_url": PREFERENCES_PLACEHOLDER}
    context = contact_context(session, workspace_id=workspace_id, contact_id=contact_id)
    context["unsubscribe_url"] = unsubscribe_url(workspace_id=workspace_id, contact_id=contact_id, channel=channel,
                                                 campaign_id=campaign_id, delivery_id=None)
    context["preferences_url"] = preferences_url_from(context["unsubscribe_url"])
    return context


def _render_problem(problem: RenderProblem) -> InvalidInput:
    return InvalidInput(f"The template could not be rendered: {problem}",
                        errors=[{"field": problem.field, "line": problem.line, "message": problem.message}])


def render_preview(channel: Channel, content: Content, context: dict[str, Any], contact_id: int | None, *,
                   postal_address: str = "", brand: BrandContent | None = None) -> schemas.Preview:
    """Render content for one context as it is sent (blocks expanded, brand footer and `brand` variable);
    template and render problems are 422s naming the part and line."""
    check_content(channel, content)
    brand = brand or BrandContent()
    context = {**context, "brand": brand.variables}
    try:
        if channel == Channel.EMAIL:
            return _email_preview(content, context, contact_id, postal_address, brand)
        body = render_template(check_template(branded_sms(content.body, brand), field="body"), context, field="body")
    except TemplateProblem as problem:
        raise invalid_templates([problem]) from None
    except RenderProblem as problem:
        raise _render_problem(problem) from None
    return schemas.Preview(channel=channel, contact_id=contact_id, body=body,
                           sms_segments=sms_segments(body) if channel == Channel.SMS else None)


def _email_preview(content: Content, context: dict[str, Any], contact_id: int | None, postal_address: str,
                   brand: BrandContent) -> schemas.Preview:
    branded = brand_email(email_template(content), brand)
    try:
        email = render_email(branded.template, context, postal_address=postal_address)
    # Told with the line as written, naming the block a problem is in.
    except TemplateProblem as problem:
        raise branded.relocate(problem) from None
    except RenderProblem as problem:
        raise branded.relocate(problem) from None
    return schemas.Preview(channel=Channel.EMAIL, contact_id=contact_id, subject=email.subject,
                           preheader=email.preheader, html=email.html, text=email.text)


def preview_variant(session: Session, *, workspace_id: int, campaign_id: int, message_id: int, variant_id: int,
                    contact_id: int | None = None) -> schemas.Preview:
    """Render a saved variant for a contact of the workspace, or for the sample contact."""
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    variant = get_variant_or_raise(session, workspace_id=workspace_id, message_id=message_id, variant_id=variant_id)
    context = preview_context(session, workspace_id=workspace_id, contact_id=contact_id, channel=message.channel,
                              campaign_id=campaign_id)
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return render_preview(message.channel, content_of(variant), context, contact_id,
                          postal_address=_postal_address(session, workspace_id),
                          brand=campaign_brand_content(session, campaign))


def preview_content(session: Session, *, workspace_id: int, data: schemas.PreviewRequest) -> schemas.Preview:
    """Render content the editor has not saved yet."""
    content = Content(subject=data.subject, preheader=data.preheader, html=data.html, text=data.text,
                      body=data.body)
    context = preview_context(session, workspace_id=workspace_id, contact_id=data.contact_id, channel=data.channel)
    brand = current_brand_content(session, workspace_id=workspace_id,
                                  uses=[data.subject, data.preheader, data.html, data.text or "", data.body])
    return render_preview(data.channel, content, context, data.contact_id,
                          postal_address=_postal_address(session, workspace_id), brand=brand)


def _postal_address(session: Session, workspace_id: int) -> str:
    return get_send_settings(session, workspace_id=workspace_id).postal_address
