"""Turning a sub-chunk of recipients into channel messages: contexts, compiled templates, payloads.

Per batch claim the message's settings and variants are read once (`load_plan`), with the campaign's
brand (its launch snapshot: `kempen.brand.resolve`): each variant's template gets its content blocks
expanded and the brand footer there, once per batch. Compiled templates are cached per worker on the
branded template itself, so CSS inlining and the text-part derivation run once per template version,
not per email, and an edited block or footer (a new snapshot) is never served from the cache. Per
email only the Jinja render, the unsubscribe URL, the tracking tokens (open pixel, one per tracked
link: `kempen.tracking.links.EmailTracker`) and a small frozen payload remain. The workspace's tracking settings are read with the plan, once per batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.brand.resolve import BrandContent, branded_template, campaign_brand_content
from kempen.brand.senders import resolve_sender
from kempen.campaigns.settings import get_send_settings
from kempen.channels.base import ChannelAdapter, Outgoing
from kempen.channels.email.message import EmailPayload, make_message_id
from kempen.channels.registry import create_adapter
from kempen.delivery.rules import AudienceRules, Recipient
from kempen.models import Campaign, CampaignMessage, Channel, MessageVariant
from kempen.templates.compiled import CompiledEmail, compile_email
from kempen.templates.context import contact_contexts
from kempen.templates.email import EmailTemplate
from kempen.templates.links import OPEN_VARIABLE, TRACKER_VARIABLE, TRAP_VARIABLE, Tracking
from kempen.templates.sandbox import TemplateProblem
from kempen.tracking.links import EmailTracker, tracking_prefix
from kempen.tracking.settings import get_tracking_settings
from kempen.tracking.unsubscribe import unsubscribe_url

logger = logging.getLogger("kempen.delivery")
_DETAIL_LENGTH = 500


@dataclass
class AdapterCache:
    """What a worker thread keeps across batches: open channel adapters and compiled variants."""

    adapters: dict[Channel, ChannelAdapter] = field(default_factory=dict)
    compiled: dict[tuple[EmailTemplate, str, Tracking | None], CompiledEmail] = field(default_factory=dict)

    def adapter(self, channel: Channel) -> ChannelAdapter:
        """The thread's adapter for a channel, opened on first use (raises InvalidInput if there is none)."""
        found = self.adapters.get(channel)
        if found is None:
            found = create_adapter(channel)
            found.open()
            self.adapters[channel] = found
        return found

    def compiled_template(self, template: EmailTemplate, postal_address: str,
                          tracking: Tracking | None = None) -> CompiledEmail:
        """The compiled branded template; keyed on its content, so any edit (variant, block, footer) misses."""
        key = (template, postal_address, tracking)
        found = self.compiled.get(key)
        if found is None:
            if len(self.compiled) > 256:  # old versions of edited variants, finished campaigns
                self.compiled.clear()
            found = self.compiled[key] = compile_email(template, postal_address=postal_address, tracking=tracking)
        return found

    def close(self) -> None:
        for adapter in self.adapters.values():
            try:
                adapter.close()
            except Exception:  # closing is best effort: the connection may be gone already
                logger.warning("closing the %s adapter failed", adapter.channel, exc_info=True)
        self.adapters.clear()


@dataclass(frozen=True)
class MessagePlan:
    """Everything the worker needs to send one campaign message, read once per batch claim."""

    workspace_id: int
    campaign_id: int
    message_id: int
    channel: Channel
    rules: AudienceRules
    from_name: str
    from_email: str
    reply_to: str | None
    variants: dict[int, MessageVariant]
    postal_address: str
    # None: neither opens nor clicks are tracked in this workspace.
    tracking: Tracking | None = None
    # Per variant (emails): its template with blocks expanded and the brand footer, or why that failed.
    templates: dict[int, EmailTemplate | TemplateProblem] = field(default_factory=dict)
    # The `brand` template variable.
    brand: dict[str, Any] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return self.from_email.rpartition("@")[2] or "localhost"


def load_plan(session: Session, *, workspace_id: int, campaign_id: int, message_id: int) -> MessagePlan:
    """Read a campaign message, its variants and the workspace's send settings."""
    campaign = session.scalar(select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.id == campaign_id))
    message = session.scalar(select(CampaignMessage).where(CampaignMessage.workspace_id == workspace_id,
                                                           CampaignMessage.id == message_id))
    assert campaign is not None and message is not None  # deliveries cascade with both
    settings = get_send_settings(session, workspace_id=workspace_id)
    variants = {v.id: v for v in session.scalars(select(MessageVariant).where(
        MessageVariant.workspace_id == workspace_id, MessageVariant.message_id == message_id))}
    tracked = get_tracking_settings(session, workspace_id=workspace_id)
    tracking = Tracking(opens=tracked.track_opens, clicks=tracked.track_clicks)
    rules = AudienceRules.for_message(message.channel, settings, quiet_hours=campaign.respect_quiet_hours,
                                      frequency_cap=campaign.respect_frequency_cap)
    sender = resolve_sender(session, workspace_id=workspace_id, message=message, settings=settings)
    brand = campaign_brand_content(session, campaign)
    templates = {vid: _branded(v, brand) for vid, v in variants.items()} if message.channel == Channel.EMAIL else {}
    return MessagePlan(workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id,
                       channel=message.channel, rules=rules, from_name=sender.from_name, from_email=sender.from_email,
                       reply_to=sender.reply_to, variants=variants, postal_address=settings.postal_address,
                       tracking=tracking if tracking.opens or tracking.clicks else None, templates=templates,
                       brand=brand.variables)


def _branded(variant: MessageVariant, brand: BrandContent) -> EmailTemplate | TemplateProblem:
    template = EmailTemplate(subject=variant.subject, preheader=variant.preheader, html=variant.html,
                             text=variant.text)
    try:
        return branded_template(template, brand)
    except TemplateProblem as problem:  # readiness refuses these; a block gone since is the variant's failure
        return problem


@dataclass
class Composed:
    outgoing: list[Outgoing] = field(default_factory=list)
    # (delivery id, what went wrong) for deliveries whose template failed for this contact.
    render_errors: list[tuple[int, str]] = field(default_factory=list)


def compose_email(session: Session, plan: MessagePlan, recipients: Sequence[Recipient],
                  cache: AdapterCache) -> Composed:
    """Render each recipient's variant with its contact's context into an `Outgoing` email."""
    composed = Composed()
    if not recipients:
        return composed
    contexts = contact_contexts(session, workspace_id=plan.workspace_id,
                                contact_ids=[r.contact_id for r in recipients])
    templates = {vid: t if isinstance(t, TemplateProblem) else cache.compiled_template(t, plan.postal_address,
                                                                                         plan.tracking)
                 for vid, t in plan.templates.items()}
    head = (("X-Kempen-Workspace", str(plan.workspace_id)), ("X-Kempen-Campaign", str(plan.campaign_id)))
    prefix = tracking_prefix()
    unsubscribe_at, preferences_at = len(prefix) + 3, f"{prefix}/p/"
    # The send second: tokens expire from it, and the machine rules compare clicks with it.
    issued_at = int(time.time())
    opens = plan.tracking is not None and plan.tracking.opens
    for recipient in recipients:
        url = unsubscribe_url(workspace_id=plan.workspace_id, contact_id=recipient.contact_id, channel=plan.channel,
                              campaign_id=plan.campaign_id, delivery_id=recipient.delivery_id)
        context: dict[str, Any] = contexts.get(recipient.contact_id, {})
        context["unsubscribe_url"] = url
        context["brand"] = plan.brand
        # The preference centre accepts the unsubscribe token under its own path.
        context["preferences_url"] = preferences_at + url[unsubscribe_at:]
        if plan.tracking is not None:
            tracker = EmailTracker(prefix, workspace_id=plan.workspace_id, delivery_id=recipient.delivery_id,
                                   contact_id=recipient.contact_id, campaign_id=plan.campaign_id,
                                   message_id=plan.message_id, variant_id=recipient.variant_id,
                                   issued_at=issued_at, opens=opens)
            context[TRACKER_VARIABLE] = tracker
            context[OPEN_VARIABLE] = tracker.open_url
            context[TRAP_VARIABLE] = tracker.trap_url
        try:
            template = templates[recipient.variant_id]
            if isinstance(template, TemplateProblem):
                raise template
            rendered = template.render(context)
        except Exception as exc:  # one contact's data must not stop the campaign: record it and go on
            composed.render_errors.append((recipient.delivery_id, f"{type(exc).__name__}: {exc}"[:_DETAIL_LENGTH]))
            continue
        payload = EmailPayload(
            subject=rendered.subject, html=rendered.html, text=rendered.text, from_name=plan.from_name,
            from_email=plan.from_email, reply_to=plan.reply_to, unsubscribe_url=url, unsubscribe_mailto=None,
            message_id=make_message_id(recipient.delivery_id, plan.domain),
            headers=(*head, ("X-Kempen-Delivery", str(recipient.delivery_id))))
        composed.outgoing.append(Outgoing(recipient.delivery_id, recipient.contact_id, recipient.address, payload))
    return composed
