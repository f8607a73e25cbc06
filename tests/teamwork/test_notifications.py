"""Notifications: unread counts, marking read (one's own only), and emails through a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from email import message_from_bytes

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kempen.config import get_settings
from kempen.kit.errors import NotFound
from kempen.models import Role
from kempen.models.teamwork import NotificationKind
from kempen.teamwork import emails, notifications, rounds, tasks
from kempen.teamwork.schemas import TaskCreate
from tests.channels.conftest import Recorder, SmtpTestServer, start_server
from tests.teamwork.conftest import Team


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    server = start_server(Recorder())
    yield server
    server.controller.stop()


def ping(session: Session, team: Team, role: Role, title: str = "Hello") -> None:
    notifications.notify(session, workspace_id=team.id, user_ids=[team.user(role).id], kind=NotificationKind.MENTION,
                         title=title, body="body text", link="/campaigns/1#comment-2")


def test_unread_count_mark_read_and_all_read(session: Session, team: Team) -> None:
    viewer = team.user(Role.VIEWER).id
    for n in range(3):
        ping(session, team, Role.VIEWER, f"n{n}")
    ping(session, team, Role.ANALYST)
    assert notifications.unread_count(session, workspace_id=team.id, user_id=viewer) == 3
    items, _ = notifications.list_notifications(session, workspace_id=team.id, user_id=viewer)
    notifications.mark_read(session, workspace_id=team.id, user_id=viewer, notification_id=items[0].id)
    assert notifications.unread_count(session, workspace_id=team.id, user_id=viewer) == 2
    analyst_items, _ = notifications.list_notifications(session, workspace_id=team.id,
                                                        user_id=team.user(Role.ANALYST).id)
    with pytest.raises(NotFound):  # another member's notification
        notifications.mark_read(session, workspace_id=team.id, user_id=viewer, notification_id=analyst_items[0].id)
    assert notifications.mark_all_read(session, workspace_id=team.id, user_id=viewer) == 2
    assert notifications.unread_count(session, workspace_id=team.id, user_id=viewer) == 0
    assert notifications.unread_count(session, workspace_id=team.id, user_id=team.user(Role.ANALYST).id) == 1


def test_non_members_are_not_notified(session: Session, team: Team) -> None:
    made = notifications.notify(session, workspace_id=team.id, user_ids=[team.user(Role.VIEWER).id, 2**40],
                                kind=NotificationKind.MENTION, title="x")
    assert [n.user_id for n in made] == [team.user(Role.VIEWER).id]


def test_email_goes_only_to_members_who_turned_it_on(session: Session, team: Team, smtp_server: SmtpTestServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    manager = team.user(Role.MANAGER)
    notifications.set_email_preference(session, workspace_id=team.id, user_id=manager.id, email=True)
    ping(session, team, Role.MANAGER, "Task for you: Write copy")
    ping(session, team, Role.VIEWER, "Not emailed")
    session.commit()
    monkeypatch.setenv("KEMPEN_SMTP_URL", smtp_server.url)
    get_settings.cache_clear()
    try:
        factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
        sent = emails.send_pending_emails(factory)
        assert emails.send_pending_emails(factory) == 0  # sent once
    finally:
        get_settings.cache_clear()
    ours = [m for m in smtp_server.handler.messages if manager.email in m.rcpt_tos]
    assert sent >= 1 and len(ours) == 1
    assert not [m for m in smtp_server.handler.messages if team.user(Role.VIEWER).email in m.rcpt_tos]
    parsed = message_from_bytes(ours[0].data)
    assert parsed["Subject"] == "Task for you: Write copy"
    assert parsed["X-Kempen-Workspace"] == str(team.id)
    assert "/campaigns/1#comment-2" in parsed.get_payload()
    assert "news@shop.example.com" in parsed["From"]


def test_the_background_round_reminds_and_emails(session: Session, team: Team, smtp_server: SmtpTestServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    analyst = team.user(Role.ANALYST)
    notifications.set_email_preference(session, workspace_id=team.id, user_id=analyst.id, email=True)
    tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=team.world.campaign().id,
                      data=TaskCreate(title="Overdue proofread", assignee_id=analyst.id, due_on=date(2020, 1, 1)))
    session.commit()
    monkeypatch.setenv("KEMPEN_SMTP_URL", smtp_server.url)
    get_settings.cache_clear()
    try:
        reminded, emailed = rounds.run_round(sessionmaker(bind=session.get_bind(), expire_on_commit=False))
    finally:
        get_settings.cache_clear()
    assert reminded >= 1 and emailed >= 2  # the assignment and the overdue reminder
    subjects = sorted(message_from_bytes(m.data)["Subject"] for m in smtp_server.handler.messages
                      if analyst.email in m.rcpt_tos)
    assert subjects == ["Overdue: Overdue proofread", "Task for you: Overdue proofread"]


def test_a_refused_email_stays_pending_for_the_next_round(session: Session, team: Team, smtp_server: SmtpTestServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = team.user(Role.VIEWER)
    notifications.set_email_preference(session, workspace_id=team.id, user_id=viewer.id, email=True)
    ping(session, team, Role.VIEWER, "Try me twice")
    session.commit()
    smtp_server.handler.data_replies[viewer.email] = "451 4.3.0 try again later"
    monkeypatch.setenv("KEMPEN_SMTP_URL", smtp_server.url)
    get_settings.cache_clear()
    factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    try:
        emails.send_pending_emails(factory)
        items, _ = notifications.list_notifications(session, workspace_id=team.id, user_id=viewer.id)
        session.refresh(items[0])
        assert items[0].email_pending and items[0].emailed_at is None
        del smtp_server.handler.data_replies[viewer.email]
        emails.send_pending_emails(factory)
        session.refresh(items[0])
        assert not items[0].email_pending and items[0].emailed_at is not None
    finally:
        get_settings.cache_clear()
    assert [m.rcpt_tos for m in smtp_server.handler.messages if viewer.email in m.rcpt_tos] == [[viewer.email]]
