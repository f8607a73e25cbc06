"""Previews: a real contact's fields, the sample contact, unsaved content, render errors, SMS parts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kempen.campaigns import messages, preview, schemas, service, settings
from kempen.config import get_settings
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import Channel, Contact, LifecycleStage, Order, OrderItem
from kempen.tracking.unsubscribe import verify_unsubscribe_token
from tests.campaigns.conftest import ACTOR, World

HTML = """<html><head><style>p.big { color: #cc0001 }</style></head><body>
<p class="big">Hi {{ first_name }} from {{ city | default('your town') }},</p>
<p>Your {{ plan }} plan. Last order {{ last_order.id }}: {{ last_order.amount | money(last_order.currency) }}.</p>
<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</body></html>"""


def make_contact(world: World, first_name: str = "<b>Ann</b>") -> int:
    contact = Contact(workspace_id=world.id, first_name=first_name, last_name="Tan", email="ann@example.com",
                      email_normalized="ann@example.com", country="MY", lifecycle_stage=LifecycleStage.CUSTOMER,
                      custom_fields={"plan": "gold"})
    world.session.add(contact)
    world.session.flush()
    order = Order(workspace_id=world.id, contact_id=contact.id, external_id="o-77", amount=Decimal("42.50"),
                  currency="EUR", placed_at=datetime(2026, 3, 1, tzinfo=UTC))
    world.session.add(order)
    world.session.flush()
    world.session.add(OrderItem(workspace_id=world.id, order_id=order.id, sku="TEA", name="Tea", quantity=1,
                                price=Decimal("42.50")))
    world.session.flush()
    return contact.id


def saved_variant(world: World, channel: Channel = Channel.EMAIL, **content: str) -> tuple[int, int, int]:
    campaign = world.campaign(ready=False)
    message = messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                   data=schemas.MessageCreate(channel=channel,
                                                              variants=[schemas.VariantCreate(**content)]))
    variant = service.message_detail(world.session, workspace_id=world.id, campaign_id=campaign.id,
                                     message_id=message.id).variants[0]
    return campaign.id, message.id, variant.id


def test_a_saved_variant_for_a_real_contact(world: World) -> None:
    contact_id = make_contact(world)
    campaign_id, message_id, variant_id = saved_variant(
        world, subject="{{ first_name }}, your {{ plan }} offer", preheader="Only\nthis week", html=HTML)
    shown = preview.preview_variant(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                    message_id=message_id, variant_id=variant_id, contact_id=contact_id)
    assert shown.contact_id == contact_id and shown.channel == Channel.EMAIL
    assert shown.subject == "<b>Ann</b>, your gold offer"  # a header: not HTML, one line
    assert shown.preheader == "Only this week"
    assert "Hi &lt;b&gt;Ann&lt;/b&gt; from your town," in shown.html
    assert 'style="color:#cc0001"' in shown.html  # CSS inlined
    assert "Last order o-77: €42.50." in shown.html
    assert shown.text.startswith("Hi <b>Ann</b> from your town,\n\nYour gold plan.")
    # The contact's own signed link, for this campaign (its page asks before it unsubscribes).
    [link] = re.findall(r'href="([^"]+)">Unsubscribe', shown.html)
    assert link.startswith(f"{get_settings().base_url}/u/")
    token = verify_unsubscribe_token(link.rsplit("/", 1)[1])
    assert (token.workspace_id, token.contact_id, token.channel, token.campaign_id, token.delivery_id) == (
        world.id, contact_id, Channel.EMAIL, campaign_id, None)


def test_the_preference_link_carries_the_contacts_unsubscribe_token(world: World) -> None:
    contact_id = make_contact(world)
    html = HTML.replace("</body>", '<a href="{{ preferences_url }}">Preferences</a></body>')
    campaign_id, message_id, variant_id = saved_variant(world, subject="s", html=html)
    shown = preview.preview_variant(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                    message_id=message_id, variant_id=variant_id, contact_id=contact_id)
    [unsubscribe] = re.findall(r'href="([^"]+)">Unsubscribe', shown.html)
    [preferences] = re.findall(r'href="([^"]+)">Preferences', shown.html)
    assert preferences == unsubscribe.replace("/u/", "/p/")
    sample = preview.preview_variant(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                     message_id=message_id, variant_id=variant_id)
    assert f'href="{preview.PREFERENCES_PLACEHOLDER}">Preferences' in sample.html


def test_the_sample_contact_by_default(world: World) -> None:
    campaign_id, message_id, variant_id = saved_variant(world, subject="For {{ first_name }}", html=HTML)
    shown = preview.preview_variant(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                    message_id=message_id, variant_id=variant_id)
    assert shown.contact_id is None and shown.subject == "For Alex"
    assert "Hi Alex from Utrecht" in shown.html
    assert f'href="{preview.UNSUBSCRIBE_PLACEHOLDER}"' in shown.html  # the sample contact is no one


def test_the_footer_with_the_postal_address_is_shown_as_sent(world: World) -> None:
    settings.update_send_settings(world.session, workspace_id=world.id, actor=ACTOR,
                                  data=schemas.SendSettingsUpdate(postal_address="Shop Ltd\nJalan Ampang 1, KL"))
    campaign_id, message_id, variant_id = saved_variant(world, subject="s", html="<p>No link here</p>")
    shown = preview.preview_variant(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                    message_id=message_id, variant_id=variant_id)
    assert "Jalan Ampang 1, KL" in shown.html and preview.UNSUBSCRIBE_PLACEHOLDER in shown.html
    assert "Jalan Ampang 1, KL" in shown.text


def test_another_workspaces_contact_or_variant_is_not_found(world: World, other: World) -> None:
    theirs = make_contact(other)
    campaign_id, message_id, variant_id = saved_variant(world, subject="s", html=HTML)
    with pytest.raises(NotFound, match=f"{theirs}"):
        preview.preview_variant(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                message_id=message_id, variant_id=variant_id, contact_id=theirs)
    with pytest.raises(NotFound):
        preview.preview_variant(world.session, workspace_id=other.id, campaign_id=campaign_id,
                                message_id=message_id, variant_id=variant_id)


def test_unsaved_content_and_its_errors(world: World) -> None:
    contact_id = make_contact(world, "Bo")
    shown = preview.preview_content(world.session, workspace_id=world.id, data=schemas.PreviewRequest(
        channel=Channel.SMS, body="Hi {{ first_name }}, {{ plan | upper }} deal: 20% off", contact_id=contact_id))
    assert shown.body == "Hi Bo, GOLD deal: 20% off" and shown.sms_segments == 1
    with pytest.raises(InvalidInput, match="^html, line 2: ") as caught:
        preview.preview_content(world.session, workspace_id=world.id, data=schemas.PreviewRequest(
            subject="ok", html="<p>\n{{ x.__class__ }}</p>"))
    assert caught.value.errors[0]["line"] == 2
    with pytest.raises(InvalidInput, match="^The template could not be rendered: html: ") as caught:
        preview.preview_content(world.session, workspace_id=world.id, data=schemas.PreviewRequest(
            subject="ok", html="<p>{{ first_name * 2000000 }}</p>"))
    assert caught.value.errors[0]["field"] == "html"


SMS_CASES = [
    ("", 0), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),  # extension characters take two units
    ("é" * 160, 1), ("ê" * 70, 1), ("ê" * 71, 2), ("😀" * 35, 1), ("😀" * 36, 2),  # UCS-2; emoji are two units
]


@pytest.mark.parametrize(("body", "parts"), SMS_CASES, ids=[f"{len(b)}x{b[:1].encode()!r}" for b, _ in SMS_CASES])
def test_sms_parts(body: str, parts: int) -> None:
    assert preview.sms_segments(body) == parts
