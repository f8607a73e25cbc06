"""The content blocks service: saving with checks, versions and audit, usage, approvals withdrawn, deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand import block_schemas as schemas
from kempen.brand import blocks
from kempen.campaigns.readiness import readiness_problems
from kempen.campaigns.settings import get_send_settings
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import Campaign, CampaignStatus, MessageVariant
from tests.campaigns.conftest import add_objective
from tests.delivery.conftest import make_campaign, new_workspace, set_status

ACTOR = "tester"
USES_BANNER = ('<html><body><p>Hi {{ first_name }}</p>\n{% content "banner" %}\n'
               '<a href="{{ unsubscribe_url }}">unsubscribe</a></body></html>')


def create(session: Session, ws: int, key: str, html: str = "<p>Spring</p>", text: str = "Spring") -> None:
    blocks.create_block(session, workspace_id=ws, actor=ACTOR,
                        data=schemas.ContentBlockCreate(key=key, name=key.title(), html=html, text=text))
    session.commit()


def test_create_update_delete_with_versions_and_audit(session: Session) -> None:
    ws = new_workspace(session)
    create(session, ws, "banner")
    with pytest.raises(Conflict, match="already exists"):
        create(session, ws, "banner")
    other = new_workspace(session)
    create(session, other, "banner")  # keys are per workspace
    updated = blocks.update_block(session, workspace_id=ws, actor="editor", key="banner",
                                  data=schemas.ContentBlockUpdate(html="<p>Summer</p>"))
    assert (updated.version, updated.updated_by, updated.html) == (2, "editor", "<p>Summer</p>")
    same = blocks.update_block(session, workspace_id=ws, actor="editor", key="banner",
                               data=schemas.ContentBlockUpdate(html="<p>Summer</p>"))
    assert same.version == 2  # nothing changed, no new version
    blocks.delete_block(session, workspace_id=ws, actor=ACTOR, key="banner")
    session.commit()
    with pytest.raises(NotFound):
        blocks.get_block_or_raise(session, workspace_id=ws, key="banner")
    assert blocks.get_block_or_raise(session, workspace_id=other, key="banner").version == 1
    actions = [e.action for e in audit.list_for_entity(session, workspace_id=ws, entity_type="content_block",
                                                       entity_id=updated.id)]
    assert sorted(actions) == ["content_block.created", "content_block.deleted", "content_block.updated"]


def test_sources_are_checked_with_part_and_line(session: Session) -> None:
    ws = new_workspace(session)
    with pytest.raises(InvalidInput) as raised:
        create(session, ws, "bad", html="<p>\n{{ x | monye }}</p>")
    assert raised.value.errors == [{"field": "html", "line": 2, "message": "unknown filter 'monye'"}]
    with pytest.raises(InvalidInput, match="unknown content block 'missing'"):
        create(session, ws, "outer", html='{% content "missing" %}')
    with pytest.raises(InvalidInput, match="HTML or a text version"):
        create(session, ws, "empty", html=" ", text="")
    create(session, ws, "a", html="<p>a</p>")
    create(session, ws, "b", html='<div>{% content "a" %}</div>')
    with pytest.raises(InvalidInput, match="cycle: b → a → b"):
        blocks.update_block(session, workspace_id=ws, actor=ACTOR, key="a",
                            data=schemas.ContentBlockUpdate(html='{% content "b" %}'))


def test_usage_is_transitive_and_editing_withdraws_approval(session: Session) -> None:
    ws = new_workspace(session)
    create(session, ws, "inner")
    create(session, ws, "banner", html='<div>{% content "inner" %}</div>')
    approved = make_campaign(session, ws, html=USES_BANNER)
    draft = make_campaign(session, ws, html=USES_BANNER)
    unrelated = make_campaign(session, ws)
    set_status(session, approved.campaign_id, CampaignStatus.APPROVED)
    usage = blocks.block_usage(session, workspace_id=ws)
    assert [u.campaign_id for u in usage["inner"]] == [approved.campaign_id, draft.campaign_id]
    assert unrelated.campaign_id not in {u.campaign_id for u in usage["banner"]}
    blocks.update_block(session, workspace_id=ws, actor="editor", key="inner",
                        data=schemas.ContentBlockUpdate(text="Autumn"))
    session.commit()
    campaign = session.get(Campaign, approved.campaign_id)
    assert campaign is not None
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT  # the workspace does not require approval
    reasons = [e.details.get("reason", "") for e in audit.list_for_entity(
        session, workspace_id=ws, entity_type="campaign", entity_id=approved.campaign_id)]
    assert any('Content block "inner"' in reason for reason in reasons)
    # A rename changes no content: nothing is withdrawn.
    set_status(session, approved.campaign_id, CampaignStatus.APPROVED)
    blocks.update_block(session, workspace_id=ws, actor="editor", key="inner",
                        data=schemas.ContentBlockUpdate(name="Inner banner"))
    session.commit()
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.APPROVED


def _require_approval(session: Session, ws: int) -> None:
    get_send_settings(session, workspace_id=ws).require_approval = True
    session.commit()


def _edit_banner(session: Session, ws: int) -> None:
    blocks.update_block(session, workspace_id=ws, actor="editor", key="banner",
                        data=schemas.ContentBlockUpdate(html="<p>Autumn</p>"))


def test_where_approval_is_required_an_edit_sends_a_ready_campaign_back_to_review(session: Session) -> None:
    ws = new_workspace(session)
    _require_approval(session, ws)
    create(session, ws, "banner")
    built = make_campaign(session, ws, html=USES_BANNER)
    add_objective(session, ws, built.campaign_id)  # ready: review asks for an objective
    set_status(session, built.campaign_id, CampaignStatus.SCHEDULED)
    _edit_banner(session, ws)
    session.commit()
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None
    session.refresh(campaign)
    assert (campaign.status, campaign.scheduled_at) == (CampaignStatus.IN_REVIEW, None)
    moves = [(e.details["from"], e.details["to"]) for e in audit.list_for_entity(
        session, workspace_id=ws, entity_type="campaign", entity_id=built.campaign_id)
        if e.action == "campaign.status_changed"]
    assert moves == [("scheduled", "in_review")]


def test_where_approval_is_required_an_unready_campaign_goes_on_to_draft_at_commit(session: Session) -> None:
    ws = new_workspace(session)
    _require_approval(session, ws)
    create(session, ws, "banner")
    built = make_campaign(session, ws, html=USES_BANNER)  # no objective: not ready for review
    set_status(session, built.campaign_id, CampaignStatus.APPROVED)
    _edit_banner(session, ws)
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None and campaign.status == CampaignStatus.IN_REVIEW  # until the commit settles it
    session.commit()
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT
    reasons = [e.details.get("reason", "") for e in audit.list_for_entity(
        session, workspace_id=ws, entity_type="campaign", entity_id=built.campaign_id)]
    assert any("no longer ready" in reason for reason in reasons)


def test_running_campaigns_are_untouched_and_deletion_is_refused_while_pending(session: Session) -> None:
    ws = new_workspace(session)
    create(session, ws, "banner")
    running = make_campaign(session, ws, html=USES_BANNER)
    set_status(session, running.campaign_id, CampaignStatus.RUNNING)
    pending = make_campaign(session, ws, html=USES_BANNER)
    blocks.update_block(session, workspace_id=ws, actor=ACTOR, key="banner",
                        data=schemas.ContentBlockUpdate(html="<p>New</p>"))
    assert session.get(Campaign, running.campaign_id).status == CampaignStatus.RUNNING  # type: ignore[union-attr]
    with pytest.raises(Conflict) as refused:
        blocks.delete_block(session, workspace_id=ws, actor=ACTOR, key="banner")
    assert "campaigns not launched yet" in refused.value.detail and "(draft)" in refused.value.detail
    create(session, ws, "wrapper", html='{% content "banner" %}')
    set_status(session, pending.campaign_id, CampaignStatus.CANCELLED)
    with pytest.raises(Conflict, match="content blocks 'wrapper'"):
        blocks.delete_block(session, workspace_id=ws, actor=ACTOR, key="banner")
    blocks.delete_block(session, workspace_id=ws, actor=ACTOR, key="wrapper")
    blocks.delete_block(session, workspace_id=ws, actor=ACTOR, key="banner")  # only a running campaign uses it
    session.commit()


def test_an_unknown_block_keeps_the_campaign_from_launch(session: Session) -> None:
    ws = new_workspace(session)
    built = make_campaign(session, ws, html=USES_BANNER.replace("banner", "spring-banner"))
    problems = readiness_problems(session, workspace_id=ws, campaign_id=built.campaign_id)
    assert "Message 'email 0', variant 'A': html, line 2: unknown content block 'spring-banner'" in problems
    create(session, ws, "spring-banner")
    assert not [p for p in readiness_problems(session, workspace_id=ws, campaign_id=built.campaign_id)
                if "content block" in p]
    variant = session.scalar(select(MessageVariant).where(MessageVariant.campaign_id == built.campaign_id))
    assert variant is not None


def test_preview_renders_the_sample_contact_and_brand(session: Session) -> None:
    ws = new_workspace(session)
    create(session, ws, "inner", html="<b>{{ first_name }}</b>", text="{{ first_name }}")
    create(session, ws, "hello", html='<p>Hi {% content "inner" %} from {{ brand.name }}</p>', text="Hi")
    preview = blocks.preview_block(session, workspace_id=ws, key="hello")
    assert preview.html.startswith("<p>Hi <b>Alex</b> from ") and preview.html.endswith("</p>")
    assert preview.text == "Hi"
    html_only = blocks.create_block(session, workspace_id=ws, actor=ACTOR, data=schemas.ContentBlockCreate(
        key="zero", name="Zero", html="<p>\n{{ 1 / 0 }}</p>"))
    with pytest.raises(InvalidInput, match="could not be rendered") as raised:
        blocks.preview_block(session, workspace_id=ws, key=html_only.key)
    assert raised.value.errors[0]["line"] == 1 and "content block 'zero', line 2" in raised.value.errors[0]["message"]
