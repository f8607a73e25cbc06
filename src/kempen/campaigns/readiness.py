"""What keeps a campaign from review or launch, in words a marketer can act on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.brand.resolve import BrandContent, brand_problems, campaign_brand_content
from kempen.campaigns.content import Content, email_template, missing_parts, template_problems
from kempen.campaigns.repository import get_campaign_or_raise, messages_of, variants_by_message
from kempen.campaigns.settings import get_send_settings
from kempen.campaigns.winner import winner_problems, winner_warnings
from kempen.models import (
    CampaignMessage,
    CampaignStatus,
    Channel,
    MessageVariant,
    Objective,
    WorkspaceSendSettings,
)
from kempen.templates.message import parts

NO_OBJECTIVE = "Add at least one measurable objective."


def content_of(variant: MessageVariant) -> Content:
    return Content(subject=variant.subject, preheader=variant.preheader, html=variant.html, text=variant.text,
                   body=variant.body)


def readiness_problems(session: Session, *, workspace_id: int, campaign_id: int) -> list[str]:
    """Everything that must be fixed before the campaign can be reviewed or launched; empty when ready."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    problems = []
    if campaign.segment_id is None:
        problems.append("Choose a segment as the campaign's audience.")
    messages = messages_of(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if not messages:
        problems.append("Add at least one message.")
    variants = variants_by_message(session, workspace_id=workspace_id, campaign_id=campaign_id)
    settings = get_send_settings(session, workspace_id=workspace_id) if messages else None
    brand = campaign_brand_content(session, campaign) if messages else BrandContent()
    for message in messages:
        assert settings is not None
        problems += _message_problems(message, variants.get(message.id, []), settings, brand)
    if messages:
        problems += winner_problems(session, campaign, messages, variants)
    if get_send_settings(session, workspace_id=workspace_id).require_approval:
        problems += objective_problems(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return problems


def objective_problems(session: Session, *, workspace_id: int, campaign_id: int) -> list[str]:
    """A campaign goes to review (or, where approval is required, further) only with an objective to judge it by.

    Where the workspace requires approval this is one of the readiness problems; otherwise the review step
    adds it (lifecycle._check_move) and readiness only warns about it.

    Every stored objective is measurable (a metric, a numeric target, a deadline: planning/objectives.py).
    """
    found = session.scalar(select(Objective.id).where(Objective.workspace_id == workspace_id,
                                                      Objective.campaign_id == campaign_id).limit(1))
    return [] if found is not None else [NO_OBJECTIVE]


def readiness_warnings(session: Session, *, workspace_id: int, campaign_id: int) -> list[str]:
    """What deserves a look before launch but does not keep the campaign from it."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    # Without required approval a draft may launch directly, but it needs an objective to go to review.
    missing = (objective_problems(session, workspace_id=workspace_id, campaign_id=campaign_id)
               if campaign.status == CampaignStatus.DRAFT
               and not get_send_settings(session, workspace_id=workspace_id).require_approval else [])
    return [f"{m[:-1]}: review asks for one." for m in missing] + winner_warnings(session, campaign)


def content_parts(channel: Channel, content: Content) -> list[tuple[str, str, bool]]:
    """The template parts a channel sends: each one's field, source and whether it is HTML."""
    return parts(email_template(content)) if channel == Channel.EMAIL else [("body", content.body, False)]


def _message_problems(message: CampaignMessage, variants: list[MessageVariant],
                      settings: WorkspaceSendSettings, brand: BrandContent) -> list[str]:
    where = f"Message {message.name!r}"
    if not variants:
        return [f"{where} has no content: add a variant."]
    problems = []
    total = sum(v.split_percent for v in variants)
    if total != 100:
        problems.append(f"{where}: the variants' splits add up to {total} %, not 100 %.")
    if message.channel == Channel.EMAIL and not (message.from_email or settings.from_email):
        problems.append(f"{where} has no sender address: set one on the message or in the workspace's "
                        "sending settings.")
    for variant in variants:
        content = content_of(variant)
        missing = missing_parts(message.channel, content)
        if missing:
            problems.append(f"{where}, variant {variant.name!r} needs {' and '.join(missing)}.")
        found = template_problems(message.channel, content)
        # Blocks that are unknown, form a cycle or break the template they are put in (checked on the whole).
        found = found or brand_problems(content_parts(message.channel, content), brand)
        problems += [f"{where}, variant {variant.name!r}: {problem}" for problem in found]
    return problems
