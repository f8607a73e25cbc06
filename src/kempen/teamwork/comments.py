"""A campaign's comment thread, with @mentions, and the review decisions that write into it.

Analysts (and up) comment; everyone reads; authors edit their own comments. Text is stored and shown
as written: the page escapes it and renders no markdown. Each member a comment @mentions (see
mentions.py) is notified once, and again on an edit only if the edit newly mentions them.

Reviews (`submit_for_review`, `approve`, `request_changes`) are the one place where the campaign's
status move, its comment in the thread and its notifications happen together, so the API, the web
pages and the CLI cannot do one without the others.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import lifecycle
from kempen.campaigns.repository import get_campaign_or_raise
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, NotFound, PermissionDenied
from kempen.models import Campaign, Role
from kempen.models.teamwork import CampaignComment, CommentKind, NotificationKind
from kempen.teamwork import notifications
from kempen.teamwork.actors import Acting
from kempen.teamwork.mentions import resolve_mentions, workspace_members

MAX_BODY = 10_000


def list_comments(session: Session, *, workspace_id: int, campaign_id: int) -> list[CampaignComment]:
    """The campaign's thread, oldest first."""
    get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    stmt = (select(CampaignComment)
            .where(CampaignComment.workspace_id == workspace_id, CampaignComment.campaign_id == campaign_id)
            .order_by(CampaignComment.id))
    return list(session.scalars(stmt))


def _checked_body(body: str, *, required: bool = True) -> str:
    text = body.strip()
    if required and not text:
        raise InvalidInput("Write something to comment.")
    if len(text) > MAX_BODY:
        raise InvalidInput(f"A comment has at most {MAX_BODY:,} characters.")
    return text


def _notify_mentions(session: Session, comment: CampaignComment, campaign: Campaign, who: Acting,
                     user_ids: list[int]) -> None:
    excerpt = comment.body if len(comment.body) <= 280 else comment.body[:279] + "…"
    notifications.notify(session, workspace_id=comment.workspace_id, user_ids=user_ids, kind=NotificationKind.MENTION,
                         title=f"You were mentioned on “{campaign.name}”", body=excerpt,
                         link=f"/campaigns/{campaign.id}#comment-{comment.id}", campaign_id=campaign.id,
                         actor=who.actor, actor_user_id=who.user_id)


def _write(session: Session, who: Acting, campaign: Campaign, body: str,
           kind: CommentKind = CommentKind.COMMENT) -> CampaignComment:
    mentioned = resolve_mentions(workspace_members(session, workspace_id=who.workspace_id), body)
    comment = CampaignComment(workspace_id=who.workspace_id, campaign_id=campaign.id,
                              author_id=who.user_id, author=who.actor, kind=kind, body=body,
                              mentioned_user_ids=[m.user_id for m in mentioned])
    session.add(comment)
    session.flush()
    _notify_mentions(session, comment, campaign, who, comment.mentioned_user_ids)
    return comment


def add_comment(session: Session, *, who: Acting, campaign_id: int, body: str) -> CampaignComment:
    """Comment on a campaign (analysts and up); mentioned members are notified."""
    who.require(Role.ANALYST)
    campaign = get_campaign_or_raise(session, workspace_id=who.workspace_id, campaign_id=campaign_id)
    comment = _write(session, who, campaign, _checked_body(body))
    audit.record(session, workspace_id=who.workspace_id, actor=who.actor, action="comment.created",
                 entity_type="campaign", entity_id=campaign.id, details={"comment_id": comment.id})
    return comment


def get_comment_or_raise(session: Session, *, workspace_id: int, comment_id: int) -> CampaignComment:
    comment = session.scalar(select(CampaignComment).where(CampaignComment.workspace_id == workspace_id,
                                                           CampaignComment.id == comment_id))
    if comment is None:
        raise NotFound(f"No comment {comment_id} in this workspace.")
    return comment


def _is_author(who: Acting, comment: CampaignComment) -> bool:
    if who.user_id is not None:
        return comment.author_id == who.user_id
    return comment.author == who.actor


def edit_comment(session: Session, *, who: Acting, comment_id: int, body: str) -> CampaignComment:
    """Change the text of one's own comment; members it newly mentions are notified."""
    who.require(Role.ANALYST)
    comment = get_comment_or_raise(session, workspace_id=who.workspace_id, comment_id=comment_id)
    if not _is_author(who, comment):
        raise PermissionDenied("Only its author can edit a comment.")
    text = _checked_body(body, required=comment.kind == CommentKind.COMMENT)
    if text == comment.body:
        return comment
    before = set(comment.mentioned_user_ids)
    mentioned = [m.user_id for m in resolve_mentions(workspace_members(session, workspace_id=who.workspace_id),
                                                     text)]
    comment.body, comment.mentioned_user_ids, comment.edited_at = text, mentioned, utcnow()
    session.flush()
    campaign = get_campaign_or_raise(session, workspace_id=who.workspace_id, campaign_id=comment.campaign_id)
    _notify_mentions(session, comment, campaign, who, [uid for uid in mentioned if uid not in before])
    audit.record(session, workspace_id=who.workspace_id, actor=who.actor, action="comment.edited",
                 entity_type="campaign", entity_id=comment.campaign_id, details={"comment_id": comment.id})
    return comment


# Reviews

def _reviewers(session: Session, workspace_id: int) -> list[int]:
    return [m.user_id for m in workspace_members(session, workspace_id=workspace_id) if m.role.includes(Role.MANAGER)]


def owner_ids(campaign: Campaign) -> list[int]:
    """Who hears about a decision: the campaign's owner, else the user who created it."""
    if campaign.owner_id is not None:
        return [campaign.owner_id]
    actor = campaign.created_by or ""
    if actor.startswith("user:") and actor[5:].isdigit():
        return [int(actor[5:])]
    return []


def submit_for_review(session: Session, *, who: Acting, campaign_id: int) -> Campaign:
    """Ask for approval (marketers); the workspace's managers are notified."""
    who.require(Role.MARKETER)
    campaign = lifecycle.submit_for_review(session, workspace_id=who.workspace_id, campaign_id=campaign_id,
                                           actor=who.actor)
    notifications.notify(session, workspace_id=who.workspace_id,
                         user_ids=_reviewers(session, who.workspace_id), kind=NotificationKind.REVIEW_REQUESTED,
                         title=f"Review requested: “{campaign.name}”", body="A campaign is waiting for your approval.",
                         link=f"/campaigns/{campaign.id}", campaign_id=campaign.id, actor=who.actor,
                         actor_user_id=who.user_id)
    return campaign


@lifecycle.on_back_in_review
def _notify_reviewers_of_withdrawal(session: Session, campaign: Campaign, actor: str, what: str) -> None:
    # An edit withdrew the approval: the reviewers hear of it as of a submit (the editor is not notified).
    editor_id = int(actor[5:]) if actor.startswith("user:") and actor[5:].isdigit() else None
    notifications.notify(session, workspace_id=campaign.workspace_id,
                         user_ids=_reviewers(session, campaign.workspace_id), kind=NotificationKind.REVIEW_REQUESTED,
                         title=f"Review requested again: “{campaign.name}”",
                         body=f"{what} changed after approval; the campaign is waiting for your approval again.",
                         link=f"/campaigns/{campaign.id}", campaign_id=campaign.id, actor=actor,
                         actor_user_id=editor_id)


def approve(session: Session, *, who: Acting, campaign_id: int, comment: str = "") -> Campaign:
    """Approve a campaign in review (managers): the approval goes into the thread and to the owner."""
    who.require(Role.MANAGER)
    text = _checked_body(comment, required=False)
    campaign = lifecycle.approve(session, workspace_id=who.workspace_id, campaign_id=campaign_id,
                                 actor=who.actor, comment=text or None)
    _write(session, who, campaign, text, CommentKind.APPROVED)
    notifications.notify(session, workspace_id=who.workspace_id, user_ids=owner_ids(campaign),
                         kind=NotificationKind.APPROVED, title=f"Approved: “{campaign.name}”", body=text,
                         link=f"/campaigns/{campaign.id}", campaign_id=campaign.id, actor=who.actor,
                         actor_user_id=who.user_id)
    return campaign


def request_changes(session: Session, *, who: Acting, campaign_id: int, comment: str) -> Campaign:
    """Send a campaign back to draft with what should change (managers); the owner is notified."""
    who.require(Role.MANAGER)
    text = _checked_body(comment, required=False)
    if not text:
        raise InvalidInput("Say what should change, so that the author knows what to fix.")
    campaign = lifecycle.request_changes(session, workspace_id=who.workspace_id, campaign_id=campaign_id,
                                         actor=who.actor, comment=text)
    _write(session, who, campaign, text, CommentKind.CHANGES_REQUESTED)
    notifications.notify(session, workspace_id=who.workspace_id, user_ids=owner_ids(campaign),
                         kind=NotificationKind.CHANGES_REQUESTED, title=f"Changes requested: “{campaign.name}”",
                         body=text, link=f"/campaigns/{campaign.id}", campaign_id=campaign.id, actor=who.actor,
                         actor_user_id=who.user_id)
    return campaign
