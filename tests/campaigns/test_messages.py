"""Messages and variants: templates refused on save with part and line, injections, splits, names, senders."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from kempen.audit import service as audit
from kempen.campaigns import messages, schemas, service
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import Channel, MessageVariant
from tests.campaigns.conftest import ACTOR, HTML, World, add_email


def add(world: World, campaign_id: int, channel: Channel = Channel.EMAIL, **variant: object) -> int:
    data = schemas.MessageCreate(channel=channel, variants=[schemas.VariantCreate(**variant)])
    return messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign_id,
                                data=data).id


def variants(world: World, campaign_id: int, message_id: int) -> list[schemas.Variant]:
    return service.message_detail(world.session, workspace_id=world.id, campaign_id=campaign_id,
                                  message_id=message_id).variants


def test_a_template_error_names_the_part_and_line(world: World) -> None:
    campaign = world.campaign(ready=False)
    html = "<p>Hello</p>\n<p>{{ first_name }</p>\n"
    with pytest.raises(InvalidInput) as caught:
        add(world, campaign.id, subject="Hi {{ first_name }}", html=html)
    assert caught.value.detail.startswith("html, line 2: unexpected '}'")
    assert caught.value.errors == [{"field": "html", "line": 2, "message": caught.value.errors[0]["message"]}]
    with pytest.raises(InvalidInput) as caught:
        add(world, campaign.id, subject="{% if x %}", html=HTML, text="ok\n\n{{ 1 + }}")
    assert [(e["field"], e["line"]) for e in caught.value.errors] == [("subject", 1), ("text", 3)]
    assert "; text, line 3: " in caught.value.detail
    assert service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id).messages == []


INJECTIONS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% include 'x' %}",
    "{% import 'x' as y %}",
    "{% extends 'base.html' %}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ first_name['__class__'] }}",
    "{{ 'a{0.__class__}'.format(first_name) }}",
    "{{ first_name | attr('__class__') }}",
    "{% for x in range(10) %}{{ x.__class__ }}{% endfor %}",
]


@pytest.mark.parametrize("source", INJECTIONS)
def test_template_injection_is_refused_on_save(world: World, source: str) -> None:
    campaign = world.campaign()
    message = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id).messages[0]
    variant_id = message.variants[0].id
    for field in ("subject", "html"):
        with pytest.raises(InvalidInput, match=f"^{field}, line 1: "):
            messages.update_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                    message_id=message.id, variant_id=variant_id,
                                    data=schemas.VariantUpdate(**{field: source}))
    with pytest.raises(InvalidInput, match="^body, line 1: "):
        add(world, campaign.id, Channel.SMS, body=f"Hi {source}")
    stored = world.session.scalar(select(MessageVariant.html).where(MessageVariant.id == variant_id))
    assert stored == HTML


def test_sms_bodies_are_checked_and_email_parts_of_sms_are_ignored(world: World) -> None:
    campaign = world.campaign()
    message_id = add(world, campaign.id, Channel.SMS, body="Hi {{ first_name }}, 20% off today")
    [variant] = variants(world, campaign.id, message_id)
    assert variant.body == "Hi {{ first_name }}, 20% off today" and variant.split_percent == 100
    with pytest.raises(InvalidInput, match=r"^body, line 2: "):
        messages.update_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                message_id=message_id, variant_id=variant.id,
                                data=schemas.VariantUpdate(body="Hi\n{% for %}"))


def test_splits_even_out_when_a_variant_is_added_without_one(world: World) -> None:
    campaign = world.campaign()
    message_id = service.campaign_detail(world.session, workspace_id=world.id,
                                         campaign_id=campaign.id).messages[0].id
    for _ in range(2):
        messages.add_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                             message_id=message_id, data=schemas.VariantCreate(subject="s", html="<p>x</p>"))
    assert [(v.name, v.split_percent) for v in variants(world, campaign.id, message_id)] == [
        ("A", 34), ("B", 33), ("C", 33)]
    added = messages.add_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                 message_id=message_id,
                                 data=schemas.VariantCreate(name="Control", split_percent=10, subject="s",
                                                            html="<p>y</p>"))
    assert added.split_percent == 10
    assert service.readiness_problems(world.session, workspace_id=world.id, campaign_id=campaign.id) == [
        "Message 'Email': the variants' splits add up to 110 %, not 100 %."]
    for variant in variants(world, campaign.id, message_id)[1:3]:
        messages.delete_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                message_id=message_id, variant_id=variant.id)
    assert [(v.name, v.split_percent) for v in variants(world, campaign.id, message_id)] == [
        ("A", 34), ("Control", 10)]
    messages.delete_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            message_id=message_id, variant_id=added.id)
    assert [(v.name, v.split_percent) for v in variants(world, campaign.id, message_id)] == [("A", 100)]


def test_a_message_created_with_variants_shares_what_is_left(world: World) -> None:
    campaign = world.campaign(ready=False)
    data = schemas.MessageCreate(channel=Channel.EMAIL, name="Welcome", variants=[
        schemas.VariantCreate(subject="a", html="<p>a</p>", split_percent=50),
        schemas.VariantCreate(subject="b", html="<p>b</p>"),
        schemas.VariantCreate(name="Z", subject="c", html="<p>c</p>")])
    message = messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                   data=data)
    assert [(v.name, v.split_percent) for v in variants(world, campaign.id, message.id)] == [
        ("A", 50), ("B", 25), ("Z", 25)]


@pytest.mark.parametrize("split", [0, 101, -5])
def test_a_split_is_1_to_100(split: int) -> None:
    with pytest.raises(ValueError, match="split_percent"):
        schemas.VariantCreate(subject="s", split_percent=split)


def test_names_of_messages_and_variants(world: World) -> None:
    campaign = world.campaign(ready=False)
    first = add_email(world.session, world.id, campaign.id)
    second = add_email(world.session, world.id, campaign.id)
    detail = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id)
    assert [m.name for m in detail.messages] == ["Email", "Email 2"]
    with pytest.raises(Conflict, match="already has a message named 'Email'"):
        messages.update_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                message_id=second, data=schemas.MessageUpdate(name="Email"))
    with pytest.raises(Conflict, match="already has a variant named 'A'"):
        messages.add_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                             message_id=first, data=schemas.VariantCreate(name="A", subject="s", html="<p/>"))


def test_sender_overrides_are_validated_and_fall_back_when_empty(world: World) -> None:
    campaign = world.campaign(ready=False)
    with pytest.raises(InvalidInput, match="^from_email: invalid email"):
        messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                             data=schemas.MessageCreate(channel=Channel.EMAIL, from_email="not an address"))
    with pytest.raises(InvalidInput, match="^from_name: must be one line"):
        messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                             data=schemas.MessageCreate(channel=Channel.EMAIL, from_name="Shop\nBcc: x@y.z"))
    message = messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                   data=schemas.MessageCreate(channel=Channel.EMAIL, from_email="Deals@Shop.example",
                                                              reply_to="help@shop.example"))
    assert (message.from_email, message.reply_to) == ("Deals@Shop.example", "help@shop.example")
    messages.update_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            message_id=message.id, data=schemas.MessageUpdate(from_email="", reply_to=None))
    assert (message.from_email, message.reply_to) == (None, None)
    actions = [e.action for e in audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                                       entity_id=campaign.id)]
    assert actions[:2] == ["campaign.message_updated", "campaign.message_added"]


def test_variant_content_changes_are_audited_by_field(world: World) -> None:
    campaign = world.campaign()
    message = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id).messages[0]
    messages.update_variant(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                            message_id=message.id, variant_id=message.variants[0].id,
                            data=schemas.VariantUpdate(subject="New {{ first_name }}", text="Plain"))
    [entry] = [e for e in audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                                entity_id=campaign.id) if e.action == "campaign.variant_updated"]
    assert entry.actor == "editor" and entry.details["fields"] == ["subject", "text"]


def test_readiness_catches_a_template_broken_behind_the_services_back(world: World) -> None:
    campaign = world.campaign()
    message = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id).messages[0]
    assert service.readiness_problems(world.session, workspace_id=world.id, campaign_id=campaign.id) == []
    world.session.execute(update(MessageVariant).where(MessageVariant.id == message.variants[0].id)
                          .values(html="<p>\n\n{{ first_name }</p>"))
    for _ in range(2):  # the second answer comes from the remembered verdict
        [problem] = service.readiness_problems(world.session, workspace_id=world.id, campaign_id=campaign.id)
        assert problem.startswith("Message 'Email', variant 'A': html, line 3: unexpected '}'")
