"""In-app notifications: created by tasks, comments and reviews, read under the bell.

A notification goes to one member of one workspace. When the member has email turned on
(`NotificationPreference.email`), it is also marked `email_pending`; `emails.send_pending_emails`
sends it once the transaction that made it has committed. Nobody is notified of their own doing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kempen.kit.clock import utcnow
from kempen.kit.errors import NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import Membership
from kempen.models.teamwork import Notification, NotificationKind, NotificationPreference


def email_wanted(session: Session, *, workspace_id: int, user_id: int) -> bool:
    pref = session.get(NotificationPreference, (workspace_id, user_id))
    return bool(pref and pref.email)


def set_email_preference(session: Session, *, workspace_id: int, user_id: int, email: bool) -> NotificationPreference:
    """Turn a member's notification emails on or off."""
    pref = session.get(NotificationPreference, (workspace_id, user_id))
    if pref is None:
        pref = NotificationPreference(workspace_id=workspace_id, user_id=user_id, email=email)
        session.add(pref)
    else:
        pref.email = email
    session.flush()
    return pref


def _members(session: Session, workspace_id: int, user_ids: Iterable[int]) -> set[int]:
    wanted = set(user_ids)
    if not wanted:
        return set()
    stmt = select(Membership.user_id).where(Membership.workspace_id == workspace_id, Membership.user_id.in_(wanted))
    return set(session.scalars(stmt))


def notify(session: Session, *, workspace_id: int, user_ids: Iterable[int], kind: NotificationKind, title: str,
           body: str = "", link: str = "", campaign_id: int | None = None, actor: str = "",
           actor_user_id: int | None = None) -> list[Notification]:
    """Notify each member in `user_ids` (not the actor, not non-members) once; return the notifications."""
    recipients = sorted(_members(session, workspace_id, user_ids) - {actor_user_id})
    made = []
    for user_id in recipients:
        note = Notification(workspace_id=workspace_id, user_id=user_id, kind=kind, title=title[:300], body=body,
                            link=link[:500], campaign_id=campaign_id, actor=actor,
                            email_pending=email_wanted(session, workspace_id=workspace_id, user_id=user_id))
        session.add(note)
        made.append(note)
    session.flush()
    return made


def list_notifications(session: Session, *, workspace_id: int, user_id: int, unread_only: bool = False,
                       cursor: str | None = None, limit: int = 50) -> tuple[list[Notification], str | None]:
    """One page of a member's notifications, newest first."""
    stmt = select(Notification).where(Notification.workspace_id == workspace_id, Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return keyset_page(session, stmt, Notification.id, cursor=cursor, limit=limit)


def unread_count(session: Session, *, workspace_id: int, user_id: int) -> int:
    stmt = select(func.count()).select_from(Notification).where(
        Notification.workspace_id == workspace_id, Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(session.scalar(stmt) or 0)


def mark_read(session: Session, *, workspace_id: int, user_id: int, notification_id: int) -> Notification:
    """Mark one of the member's notifications read; NotFound for anyone else's."""
    note = session.scalar(select(Notification).where(
        Notification.workspace_id == workspace_id, Notification.user_id == user_id, Notification.id == notification_id))
    if note is None:
        raise NotFound(f"No notification {notification_id} of yours in this workspace.")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, *, workspace_id: int, user_id: int) -> int:
    """Mark every unread notification of the member read; return how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.workspace_id == workspace_id, Notification.user_id == user_id,
               Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
