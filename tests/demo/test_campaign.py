"""The demo campaign `kempen init` launches: a segment of recent customers, instant sending, A/B content."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kempen.campaigns import preview
from kempen.campaigns.settings import get_send_settings
from kempen.demo import campaign as demo_campaign
from kempen.kit.clock import utcnow
from kempen.models import Campaign, CampaignStatus, Delivery, MessageVariant
from kempen.templates.context import contact_context
from tests.demo.conftest import make_demo


def test_the_demo_campaign_is_launched_once_to_recent_customers(db: Engine, session: Session) -> None:
    demo = make_demo(db, contacts=2000, seed=7, as_of=utcnow().date())
    ws = demo.workspace_id
    launched = demo_campaign.create_demo_campaign(session, workspace_id=ws)
    session.commit()
    assert launched is not None and launched.status == CampaignStatus.RUNNING
    assert 50 <= launched.audience <= 250, launched
    assert launched.holdout == round(launched.audience * 0.1) and launched.deliveries == launched.audience - launched.holdout
    settings = get_send_settings(session, workspace_id=ws)
    assert (settings.from_email, settings.quiet_hours_start == settings.quiet_hours_end) == ("demo@kempen.example", True)
    assert "Kuala Lumpur" in settings.postal_address
    per_variant = dict(session.execute(
        select(MessageVariant.name, func.count()).join(Delivery, Delivery.variant_id == MessageVariant.id)
        .where(Delivery.campaign_id == launched.campaign_id).group_by(MessageVariant.name)).all())
    assert set(per_variant) == {"A", "B"} and abs(per_variant["A"] - per_variant["B"]) <= 1

    assert demo_campaign.create_demo_campaign(session, workspace_id=ws) is None  # once only
    assert session.scalar(select(func.count()).select_from(Campaign).where(Campaign.workspace_id == ws)) == 1


def test_the_demo_email_is_personalised_for_a_customer(db: Engine, session: Session) -> None:
    demo = make_demo(db, contacts=300, seed=5, as_of=utcnow().date())
    ws = demo.workspace_id
    launched = demo_campaign.create_demo_campaign(session, workspace_id=ws)
    session.commit()
    assert launched is not None and launched.deliveries > 0
    delivery = session.scalars(select(Delivery).where(Delivery.campaign_id == launched.campaign_id).limit(1)).one()
    variant = session.get(MessageVariant, delivery.variant_id)
    assert variant is not None
    shown = preview.preview_variant(session, workspace_id=ws, campaign_id=launched.campaign_id,
                                    message_id=variant.message_id, variant_id=variant.id,
                                    contact_id=delivery.contact_id)
    context = contact_context(session, workspace_id=ws, contact_id=delivery.contact_id)
    first_item = context["last_order"]["items"][0]["name"]
    assert context["first_name"] in shown.subject or "friend" in shown.subject
    assert first_item in shown.html and "utm_campaign=spring-picks" in shown.html
    assert "Unsubscribe" in shown.html  # the footer Kempen adds
    assert "{{" not in shown.html and "{%" not in shown.html
    assert first_item in shown.text


def test_the_demo_email_uses_the_brand_kit_and_a_content_block(db: Engine, session: Session) -> None:
    from kempen.brand import blocks, kit
    from kempen.demo.brand import BLOCK_KEY, ensure_demo_brand

    demo = make_demo(db, contacts=300, seed=5, as_of=utcnow().date())
    ws = demo.workspace_id
    launched = demo_campaign.create_demo_campaign(session, workspace_id=ws)
    session.commit()
    assert launched is not None
    brand = kit.get_brand_kit(session, workspace_id=ws)
    assert brand is not None and brand.primary_colour == "#4f46e5" and "Jalan Contoh" in brand.footer_html
    assert [use.campaign_id for use in blocks.usage_of(session, workspace_id=ws, key=BLOCK_KEY)] == [launched.campaign_id]
    delivery = session.scalars(select(Delivery).where(Delivery.campaign_id == launched.campaign_id).limit(1)).one()
    variant = session.get(MessageVariant, delivery.variant_id)
    assert variant is not None
    shown = preview.preview_variant(session, workspace_id=ws, campaign_id=launched.campaign_id,
                                    message_id=variant.message_id, variant_id=variant.id,
                                    contact_id=delivery.contact_id)
    assert "Free delivery on orders over RM 150" in shown.html
    assert "Jalan Contoh 12 · 50450" in shown.html and "Unsubscribe" in shown.html
    ensure_demo_brand(session, workspace_id=ws)  # once only: the kit and the block are left as they are
    assert len(blocks.list_blocks(session, workspace_id=ws)) == 1
