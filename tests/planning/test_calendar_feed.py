"""Secret calendar feed URLs: signed tokens, reset, membership checks, filters; the API and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import delete
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.accounts import service as accounts
from kempen.cli.main import app
from kempen.kit.clock import utcnow
from kempen.kit.errors import NotFound
from kempen.models import CampaignStatus, Channel, Membership, Role, User
from kempen.planning import calendar_feed
from kempen.planning.calendar import CalendarFilters
from tests.conftest import Tenant, unique
from tests.planning.test_calendar import make_campaign

runner = CliRunner()


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def altered(text: str) -> str:
    """One character in the middle changed (the last base64 character may carry only padding bits)."""
    middle = len(text) // 2
    return text[:middle] + ("B" if text[middle] == "A" else "A") + text[middle + 1:]


def member(session: Session, tenant: Tenant, role: Role = Role.VIEWER) -> User:
    user = accounts.create_user(session, email=f"{unique('feed')}@example.com", password="correct horse battery")
    accounts.add_member(session, workspace_id=tenant.id, user_id=user.id, role=role)
    session.flush()
    return user


def test_a_token_opens_its_members_feed_until_reset(session: Session, tenant: Tenant) -> None:
    user = member(session, tenant)
    token = calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id)
    assert calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id) == token  # stable
    access = calendar_feed.open_feed(session, token)
    assert (access.workspace_id, access.user_id, access.filters) == (tenant.id, user.id, CalendarFilters())
    other = calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=tenant.owner_id)
    calendar_feed.reset_feed(session, workspace_id=tenant.id, actor="test", user_id=user.id)
    with pytest.raises(NotFound):
        calendar_feed.open_feed(session, token)
    fresh = calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id)
    assert fresh != token and calendar_feed.open_feed(session, fresh).user_id == user.id
    assert calendar_feed.open_feed(session, other).user_id == tenant.owner_id  # someone else's reset: unaffected


def test_altered_foreign_and_removed_members_tokens_are_refused(session: Session, tenant: Tenant,
                                                                 other_tenant: Tenant) -> None:
    user = member(session, tenant)
    token = calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id)
    payload, signature = token.rsplit(".", 1)
    for bad in (altered(token), payload + "." + altered(signature), "x" + token, token + "x", "", "not-a-token"):
        with pytest.raises(NotFound):
            calendar_feed.open_feed(session, bad)
    with pytest.raises(NotFound):  # only members get a feed
        calendar_feed.feed_token(session, workspace_id=other_tenant.id, user_id=user.id)
    session.execute(delete(Membership).where(Membership.workspace_id == tenant.id, Membership.user_id == user.id))
    with pytest.raises(NotFound):
        calendar_feed.open_feed(session, token)
    accounts.add_member(session, workspace_id=tenant.id, user_id=user.id, role=Role.VIEWER)
    session.flush()
    # Membership began again: the old token belonged to the earlier one (a second may not have passed).
    again = session.get(Membership, (tenant.id, user.id))
    assert again is not None
    again.created_at = again.created_at + timedelta(seconds=5)
    session.flush()
    with pytest.raises(NotFound):
        calendar_feed.open_feed(session, token)
    session.get(User, user.id).is_active = False  # type: ignore[union-attr]
    session.flush()
    with pytest.raises(NotFound):
        calendar_feed.open_feed(session, calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id))


def test_filters_travel_in_the_token(session: Session, tenant: Tenant) -> None:
    user = member(session, tenant)
    now = utcnow()
    email = make_campaign(session, tenant.id, (Channel.EMAIL,), status=CampaignStatus.RUNNING, launched_at=now)
    sms = make_campaign(session, tenant.id, (Channel.SMS,), status=CampaignStatus.RUNNING, launched_at=now)
    token = calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id,
                                     filters=CalendarFilters(channel=Channel.SMS))
    access = calendar_feed.open_feed(session, token)
    shown = {e.campaign_id for e in calendar_feed.feed_events(session, access, today=now.date())}
    assert sms.id in shown and email.id not in shown


def test_api_gives_and_resets_a_members_feed_url_for_admins_only(session: Session, tenant: Tenant) -> None:
    user = member(session, tenant)
    session.commit()
    url = f"/api/v1/calendar/feed-url?user_id={user.id}&channel=email"
    for role in (Role.VIEWER, Role.MARKETER, Role.MANAGER):
        refused = tenant.client.get(url, headers=tenant.headers(role))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert tenant.client.post("/api/v1/calendar/feed-url/reset", json={"user_id": user.id},
                                  headers=tenant.headers(role)).status_code == 403
    got = tenant.client.get(url, headers=tenant.headers(Role.ADMIN))
    assert got.status_code == 200 and got.json()["user_id"] == user.id
    feed_url = got.json()["url"]
    assert feed_url.startswith("http://127.0.0.1") and "/calendar/feed/" in feed_url and feed_url.endswith(".ics")
    assert calendar_feed.open_feed(session, token_of(feed_url)).filters.channel == Channel.EMAIL
    reset = tenant.client.post("/api/v1/calendar/feed-url/reset", json={"user_id": user.id},
                               headers=tenant.headers(Role.ADMIN))
    assert reset.status_code == 200 and reset.json()["url"] != feed_url
    session.expire_all()
    with pytest.raises(NotFound):
        calendar_feed.open_feed(session, token_of(feed_url))
    stranger = tenant.client.get("/api/v1/calendar/feed-url?user_id=999999999", headers=tenant.headers(Role.ADMIN))
    assert stranger.status_code == 404 and "not a member" in stranger.json()["detail"]
    bad = tenant.client.get("/api/v1/calendar/feed-url?user_id=0", headers=tenant.headers(Role.ADMIN))
    assert bad.status_code == 422


def test_cli_prints_and_resets_the_feed_url(session: Session, tenant: Tenant) -> None:
    user = member(session, tenant, Role.MARKETER)
    session.commit()
    slug = tenant.workspace.slug
    first = runner.invoke(app, ["calendar", "feed-url", "--workspace", slug])
    assert first.exit_code == 0, first.output
    owners_url = first.output.strip().splitlines()[-1]
    assert calendar_feed.open_feed(session, token_of(owners_url)).user_id == tenant.owner_id
    mine = runner.invoke(app, ["calendar", "feed-url", "--as", user.email, "--channel", "sms", "--workspace", slug])
    url = mine.output.strip().splitlines()[-1]
    assert calendar_feed.open_feed(session, token_of(url)).filters.channel == Channel.SMS
    reset = runner.invoke(app, ["calendar", "feed-url", "--reset", "--as", user.email, "--workspace", slug])
    assert reset.exit_code == 0 and "no longer works" in reset.output
    session.expire_all()
    with pytest.raises(NotFound):
        calendar_feed.open_feed(session, token_of(url))
    nobody = runner.invoke(app, ["calendar", "feed-url", "--as", "nobody@example.com", "--workspace", slug])
    assert nobody.exit_code == 1 and "not a member" in nobody.output and "Traceback" not in nobody.output
    wrong = runner.invoke(app, ["calendar", "feeds", "--workspace", slug])
    assert wrong.exit_code == 1 and "feed-url" in wrong.output


def test_the_feed_parses_as_icalendar(session: Session, tenant: Tenant) -> None:
    user = member(session, tenant)
    sent = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING, launched_at=utcnow())
    session.commit()
    token = calendar_feed.feed_token(session, workspace_id=tenant.id, user_id=user.id)
    response = tenant.client.get(f"/calendar/feed/{token}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "private, max-age=300"
    uids = {str(e["uid"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert uids == {f"campaign-{sent.id}-launched@127.0.0.1"}
    assert tenant.client.get(f"/calendar/feed/{altered(token)}.ics").status_code == 404
