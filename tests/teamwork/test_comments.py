"""Comments with @mentions, edits, and review decisions written into the thread."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kempen.kit.errors import InvalidInput, PermissionDenied
from kempen.models import CampaignStatus, Role
from kempen.models.teamwork import CommentKind, NotificationKind
from kempen.teamwork import comments, notifications
from tests.campaigns.conftest import World
from tests.teamwork.conftest import Team, add_user


def kinds(session: Session, workspace_id: int, user_id: int) -> list[NotificationKind]:
    items, _ = notifications.list_notifications(session, workspace_id=workspace_id, user_id=user_id)
    return [n.kind for n in items]


def test_a_mention_notifies_the_member_with_a_link_to_the_comment(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    manager = team.user(Role.MANAGER)
    handle = manager.email.split("@")[0]
    comment = comments.add_comment(session, who=team.acting(Role.ANALYST), campaign_id=campaign.id,
                                   body=f"@{handle} can you look at the subject line? <b>now</b>")
    assert comment.mentioned_user_ids == [manager.id]
    assert comment.body.endswith("<b>now</b>")  # stored as written; the page escapes it
    items, _ = notifications.list_notifications(session, workspace_id=team.id, user_id=manager.id)
    assert [(n.kind, n.link) for n in items] == [(NotificationKind.MENTION,
                                                  f"/campaigns/{campaign.id}#comment-{comment.id}")]


def test_users_of_other_workspaces_are_never_mentioned(session: Session, team: Team, other: World) -> None:
    stranger = add_user(session, other.id, Role.ADMIN, "Zed Stranger", local="zed-only-elsewhere")
    campaign = team.world.campaign()
    comment = comments.add_comment(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id,
                                   body="@zed-only-elsewhere @Zed @ZedStranger hello")
    assert comment.mentioned_user_ids == []
    assert kinds(session, other.id, stranger.id) == []
    assert notifications.unread_count(session, workspace_id=team.id, user_id=stranger.id) == 0


def test_viewers_cannot_comment(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    with pytest.raises(PermissionDenied):
        comments.add_comment(session, who=team.acting(Role.VIEWER), campaign_id=campaign.id, body="hi")
    with pytest.raises(InvalidInput):
        comments.add_comment(session, who=team.acting(Role.ANALYST), campaign_id=campaign.id, body="   ")


def test_only_the_author_edits_and_a_new_mention_is_notified_once(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    viewer = team.user(Role.VIEWER)
    handle = viewer.email.split("@")[0]
    comment = comments.add_comment(session, who=team.acting(Role.ANALYST), campaign_id=campaign.id,
                                   body=f"cc @{handle}")
    with pytest.raises(PermissionDenied):
        comments.edit_comment(session, who=team.acting(Role.MANAGER), comment_id=comment.id, body="mine")
    marketer = team.user(Role.MARKETER)
    edited = comments.edit_comment(session, who=team.acting(Role.ANALYST), comment_id=comment.id,
                                   body=f"cc @{handle} and @{marketer.email.split('@')[0]}")
    assert edited.edited_at is not None
    assert kinds(session, team.id, viewer.id) == [NotificationKind.MENTION]
    assert kinds(session, team.id, marketer.id) == [NotificationKind.MENTION]


def test_submit_notifies_managers_and_a_request_for_changes_goes_to_the_owner(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    campaign.owner_id = team.user(Role.MARKETER).id
    session.flush()
    comments.submit_for_review(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id)
    manager = team.user(Role.MANAGER)
    assert kinds(session, team.id, manager.id) == [NotificationKind.REVIEW_REQUESTED]
    assert kinds(session, team.id, team.user(Role.ANALYST).id) == []
    with pytest.raises(PermissionDenied):
        comments.request_changes(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id, comment="x")
    moved = comments.request_changes(session, who=team.acting(Role.MANAGER), campaign_id=campaign.id,
                                     comment="Shorter subject, please")
    assert moved.status == CampaignStatus.DRAFT
    thread = comments.list_comments(session, workspace_id=team.id, campaign_id=campaign.id)
    assert [(c.kind, c.body, c.author_id) for c in thread] == [
        (CommentKind.CHANGES_REQUESTED, "Shorter subject, please", manager.id)]
    assert kinds(session, team.id, team.user(Role.MARKETER).id) == [NotificationKind.CHANGES_REQUESTED]


def test_approval_is_written_into_the_thread_and_sent_to_the_creator(session: Session, team: Team) -> None:
    campaign = team.world.campaign(status=CampaignStatus.IN_REVIEW)
    campaign.created_by = f"user:{team.user(Role.ANALYST).id}"  # no owner: the creator hears of it
    session.flush()
    comments.approve(session, who=team.acting(Role.MANAGER), campaign_id=campaign.id, comment="Good to go")
    thread = comments.list_comments(session, workspace_id=team.id, campaign_id=campaign.id)
    assert [(c.kind, c.body) for c in thread] == [(CommentKind.APPROVED, "Good to go")]
    assert kinds(session, team.id, team.user(Role.ANALYST).id) == [NotificationKind.APPROVED]
