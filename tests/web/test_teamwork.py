"""The teamwork card, the bell, the notifications and tasks pages through the real login, on both databases."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kempen.models import CampaignStatus, Role
from kempen.teamwork import notifications
from tests.campaigns.conftest import make_world
from tests.conftest import Tenant
from tests.teamwork.conftest import PASSWORD, Team, make_team
from tests.web.conftest import current_session, login


@pytest.fixture
def crew(session: Session, tenant: Tenant) -> Team:
    """The logged-in tenant's workspace with one member per role (see tests/teamwork/conftest.py)."""
    return make_team(session, make_world(session, tenant.id, tenant.workspace.slug))


def as_member(client: TestClient, team: Team, role: Role) -> str:
    """Log in as the team's member of `role`; return the CSRF token."""
    assert login(client, team.user(role).email, PASSWORD).status_code == 303
    browser = current_session(client)
    assert browser is not None
    return browser.csrf_token


def post(client: TestClient, csrf: str, path: str, htmx: bool = True, **form: str) -> httpx.Response:
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={"csrf_token": csrf, **form}, headers=headers, follow_redirects=False)


def test_marketer_adds_a_task_and_mentions_the_manager_who_sees_it(tenant: Tenant, crew: Team) -> None:
    client, campaign = tenant.client, crew.world.campaign()
    manager = crew.user(Role.MANAGER)
    csrf = as_member(client, crew, Role.MARKETER)
    page = client.get(f"/campaigns/{campaign.id}")
    assert f'hx-get="/campaigns/{campaign.id}/teamwork"' in page.text and 'id="bell"' in page.text
    card = post(client, csrf, f"/campaigns/{campaign.id}/tasks", title="Design banner", assignee_id=str(manager.id),
                due_on="2030-01-31")
    assert card.status_code == 200 and "Design banner" in card.text and "due 31 Jan 2030" in card.text
    handle = manager.email.split("@")[0]
    card = post(client, csrf, f"/campaigns/{campaign.id}/comments", body=f"@{handle} please review <script>x</script>")
    assert "&lt;script&gt;x&lt;/script&gt;" in card.text and "<script>x</script>" not in card.text

    as_member(client, crew, Role.MANAGER)
    bell = client.get("/notifications/bell")
    assert 'id="bell-count">2<' in bell.text
    listed = client.get("/notifications")
    assert "Task for you: Design banner" in listed.text and "You were mentioned on" in listed.text
    assert client.get("/tasks").text.count("Design banner") == 1


def test_opening_a_notification_marks_it_read_and_goes_to_the_comment(tenant: Tenant, crew: Team,
                                                                     session: Session) -> None:
    client, campaign = tenant.client, crew.world.campaign()
    viewer = crew.user(Role.VIEWER)
    csrf = as_member(client, crew, Role.ANALYST)
    post(client, csrf, f"/campaigns/{campaign.id}/comments", body=f"fyi @{viewer.email.split('@')[0]}")
    items, _ = notifications.list_notifications(session, workspace_id=crew.id, user_id=viewer.id)
    csrf = as_member(client, crew, Role.VIEWER)
    opened = post(client, csrf, f"/notifications/{items[0].id}/open", htmx=False)
    assert opened.status_code == 303 and re.fullmatch(rf"/campaigns/{campaign.id}#comment-\d+",
                                                      opened.headers["location"])
    assert 'id="bell-count"' not in client.get("/notifications/bell").text
    # the analyst's notification cannot be opened by the viewer
    other = notifications.notify(session, workspace_id=crew.id, user_ids=[crew.user(Role.ANALYST).id],
                                 kind=items[0].kind, title="theirs")
    session.commit()
    assert post(client, csrf, f"/notifications/{other[0].id}/open", htmx=False).status_code == 404


def test_roles_on_the_card(tenant: Tenant, crew: Team) -> None:
    client, campaign = tenant.client, crew.world.campaign()
    csrf = as_member(client, crew, Role.VIEWER)
    card = client.get(f"/campaigns/{campaign.id}/teamwork")
    assert 'id="add-task"' not in card.text and 'id="add-comment"' not in card.text
    refused = post(client, csrf, f"/campaigns/{campaign.id}/comments", body="hello")
    assert 'id="teamwork-problem"' in refused.text and "analyst role or higher" in refused.text
    csrf = as_member(client, crew, Role.ANALYST)
    card = client.get(f"/campaigns/{campaign.id}/teamwork")
    assert 'id="add-comment"' in card.text and 'id="add-task"' not in card.text
    refused = post(client, csrf, f"/campaigns/{campaign.id}/tasks", title="x")
    assert "marketer role or higher" in refused.text
    csrf = as_member(client, crew, Role.MARKETER)
    bad = post(client, csrf, f"/campaigns/{campaign.id}/tasks", title="x", due_on="tomorrow")
    assert "YYYY-MM-DD" in bad.text


def test_the_assignee_moves_their_task_without_javascript(tenant: Tenant, crew: Team) -> None:
    client, campaign = tenant.client, crew.world.campaign()
    csrf = as_member(client, crew, Role.MARKETER)
    post(client, csrf, f"/campaigns/{campaign.id}/tasks", title="Check links",
         assignee_id=str(crew.user(Role.VIEWER).id))
    task_id = re.search(r'id="task-(\d+)"', client.get(f"/campaigns/{campaign.id}/teamwork").text)
    assert task_id
    csrf = as_member(client, crew, Role.VIEWER)
    moved = post(client, csrf, f"/tasks/{task_id.group(1)}/status", htmx=False, status="done")
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"#task-{task_id.group(1)}")
    assert "task-done" in client.get(f"/campaigns/{campaign.id}/teamwork").text


def test_a_request_for_changes_on_the_page_lands_in_the_thread(tenant: Tenant, crew: Team) -> None:
    client = tenant.client
    campaign = crew.world.campaign(status=CampaignStatus.IN_REVIEW)
    csrf = as_member(client, crew, Role.MANAGER)
    done = post(client, csrf, f"/campaigns/{campaign.id}/request-changes", htmx=False, comment="Fix the footer")
    assert done.status_code == 303
    card = client.get(f"/campaigns/{campaign.id}/teamwork").text
    assert "requested changes" in card and "Fix the footer" in card


def test_email_preference_is_saved(tenant: Tenant, crew: Team, session: Session) -> None:
    client = tenant.client
    csrf = as_member(client, crew, Role.ANALYST)
    assert post(client, csrf, "/notifications/preferences", htmx=False, email="on").status_code == 303
    assert notifications.email_wanted(session, workspace_id=crew.id, user_id=crew.user(Role.ANALYST).id)
    post(client, csrf, "/notifications/preferences", htmx=False)
    session.expire_all()
    assert not notifications.email_wanted(session, workspace_id=crew.id, user_id=crew.user(Role.ANALYST).id)


def test_a_marketer_edits_and_reassigns_a_task(tenant: Tenant, crew: Team, session: Session) -> None:
    client, campaign = tenant.client, crew.world.campaign()
    csrf = as_member(client, crew, Role.MARKETER)
    post(client, csrf, f"/campaigns/{campaign.id}/tasks", title="Draft copy")
    task_id = re.search(r'id="task-(\d+)"', client.get(f"/campaigns/{campaign.id}/teamwork").text)
    assert task_id
    analyst = crew.user(Role.ANALYST)
    card = post(client, csrf, f"/tasks/{task_id.group(1)}/edit", title="Final copy", description="two lines",
                assignee_id=str(analyst.id), due_on="2031-03-01")
    assert "Final copy" in card.text and "for Andy Analyst" in card.text and "due 01 Mar 2031" in card.text
    assert notifications.unread_count(session, workspace_id=crew.id, user_id=analyst.id) == 1
    csrf = as_member(client, crew, Role.ANALYST)
    refused = post(client, csrf, f"/tasks/{task_id.group(1)}/edit", title="Mine")
    assert "marketers" in refused.text and 'id="teamwork-problem"' in refused.text
