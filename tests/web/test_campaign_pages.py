"""The campaign pages: list and filters, new campaign, settings, messages and the variant editor with its
preview, lifecycle buttons by role, the progress panel, CSRF, errors on the page and tenancy."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.campaigns import messages, schemas, settings
from kempen.campaigns import service as campaigns
from kempen.contacts.batch import upsert_contacts
from kempen.crm import consents
from kempen.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Contact,
    Delivery,
    DeliveryReason,
    DeliveryStatus,
    MessageVariant,
    Objective,
    ObjectiveMetric,
    Role,
)
from kempen.segments import schemas as segment_schemas
from kempen.segments import service as segments
from tests.campaigns.conftest import add_objective
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD, LoggedIn, login

HTMX = {"HX-Request": "true"}
HTML = "<html><body><p>Hi {{ first_name | default('there') }},</p><p>Our news.</p></body></html>"


@dataclass
class World:
    segment_id: int


def set_sender(session: Session, workspace_id: int, *, require_approval: bool = False) -> None:
    settings.update_send_settings(session, workspace_id=workspace_id, actor="test", data=schemas.SendSettingsUpdate(
        from_name="Shop", from_email="news@shop.example.com", require_approval=require_approval))
    session.commit()


def make_world(session: Session, workspace_id: int) -> World:
    """A segment (country MY) and a sender address."""
    segment = segments.create_segment(session, workspace_id=workspace_id, actor="test",
                                      data=segment_schemas.SegmentCreate(name="everyone", text='country = "MY"'))
    set_sender(session, workspace_id)
    return World(segment.id)


def add_email(session: Session, workspace_id: int, campaign_id: int, *, variants: int = 1) -> None:
    data = schemas.MessageCreate(channel=Channel.EMAIL, variants=[
        schemas.VariantCreate(subject="News for {{ first_name }}", html=HTML) for _ in range(variants)])
    messages.add_message(session, workspace_id=workspace_id, actor="test", campaign_id=campaign_id, data=data)


def force_status(session: Session, campaign: Campaign, status: CampaignStatus) -> None:
    """Put a campaign in a status directly (arranging a test, not exercising the rules)."""
    session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status=status)
                    .execution_options(synchronize_session=False))
    session.refresh(campaign)


def post(user: LoggedIn, url: str, **form: str) -> Any:
    return user.client.post(url, data={"csrf_token": user.csrf, **form}, follow_redirects=False)


def as_role(tenant: Tenant, session: Session, role: Role, *, own_client: bool = False) -> LoggedIn:
    """Log in as a new member with `role`: with the tenant's client, or a browser of their own."""
    email = f"{unique(role.value + '-')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=user.id, role=role)
    session.commit()
    client = TestClient(tenant.client.app) if own_client else tenant.client
    assert login(client, email).status_code == 303
    return LoggedIn(tenant=tenant, client=client)


def add_audience(session: Session, workspace_id: int, count: int, prefix: str = "p") -> None:
    """Contacts in the test segment (country MY) with email consent."""
    records = [{"email": f"{prefix}{n}@example.com", "first_name": f"Person{n}", "country": "MY"}
               for n in range(count)]
    assert upsert_contacts(session, workspace_id=workspace_id, actor="test", records=records).rejected == 0
    consents.apply_consent_batch(session, workspace_id=workspace_id, actor="test", records=[
        {"contact_email": r["email"], "channel": "email", "status": "granted"} for r in records])
    session.commit()


def ready_campaign(session: Session, workspace_id: int, segment_id: int, name: str = "Spring sale",
                   status: CampaignStatus = CampaignStatus.DRAFT, variants: int = 1) -> Campaign:
    campaign = campaigns.create_campaign(session, workspace_id=workspace_id, actor="test",
                                        data=schemas.CampaignCreate(name=name, segment_id=segment_id))
    add_email(session, workspace_id, campaign.id, variants=variants)
    add_objective(session, workspace_id, campaign.id)  # review asks for one
    if status != CampaignStatus.DRAFT:
        force_status(session, campaign, status)
    session.commit()
    return campaign


def variant_url(session: Session, campaign_id: int) -> str:
    variant = session.scalars(select(MessageVariant).where(MessageVariant.campaign_id == campaign_id)
                              .order_by(MessageVariant.id)).first()
    assert variant is not None
    return f"/campaigns/{campaign_id}/messages/{variant.message_id}/variants/{variant.id}"


def test_pages_require_login(tenant: Tenant, session: Session) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    for path in ("/campaigns", "/campaigns/new", f"/campaigns/{campaign.id}", variant_url(session, campaign.id)):
        response = tenant.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/campaigns")
    partial = tenant.client.get(f"/campaigns/{campaign.id}/progress", headers=HTMX)
    assert partial.status_code == 401 and "HX-Redirect" in partial.headers
    assert tenant.client.post(f"/campaigns/{campaign.id}/launch", follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT  # type: ignore[union-attr]


def test_the_list_filters_by_status_and_searches(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    page = logged_in.client.get("/campaigns")
    assert page.status_code == 200 and "No campaigns yet" in page.text
    assert 'aria-current="page">Campaigns' in page.text and 'href="/inbox"' in page.text
    world = make_world(session, ws)
    spring = ready_campaign(session, ws, world.segment_id, "Spring sale")
    ready_campaign(session, ws, world.segment_id, "Autumn news", status=CampaignStatus.COMPLETED)
    page = logged_in.client.get("/campaigns").text
    assert f'href="/campaigns/{spring.id}">Spring sale</a>' in page and "Autumn news" in page
    assert "everyone" in page and "Email" in page  # the segment and the channels
    running = logged_in.client.get("/campaigns/results?status=completed", headers=HTMX)
    assert running.status_code == 200 and "<html" not in running.text
    assert "Autumn news" in running.text and "Spring sale" not in running.text
    assert running.headers["HX-Push-Url"] == "/campaigns?status=completed"
    found = logged_in.client.get("/campaigns/results?q=spr", headers=HTMX).text
    assert "Spring sale" in found and "Autumn news" not in found
    none = logged_in.client.get("/campaigns?q=zzz").text
    assert "No campaigns match" in none
    assert logged_in.client.get("/campaigns?status=bogus").status_code == 200  # ignored, not a 500
    assert "no longer valid" in logged_in.client.get("/campaigns?cursor=!!").text


def test_new_campaign_shows_the_segment_count_and_creates_a_draft(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    add_audience(session, ws, 3)
    form = logged_in.client.get(f"/campaigns/new?segment_id={world.segment_id}").text
    assert 'hx-get="/campaigns/segment-count"' in form and f'value="{world.segment_id}" selected' in form
    count = logged_in.client.get(f"/campaigns/segment-count?segment_id={world.segment_id}", headers=HTMX).text
    assert "<strong>3</strong> contacts now" in count and "3 reachable by email" in count
    assert "no such segment" in logged_in.client.get("/campaigns/segment-count?segment_id=999999999").text
    refused = logged_in.client.post("/campaigns", data={"name": "No token"}, follow_redirects=False)
    assert refused.status_code == 403 and "This form has expired" in refused.text
    created = post(logged_in, "/campaigns", name="Welcome", segment_id=str(world.segment_id), holdout_percent="10")
    assert created.status_code == 303
    campaign = session.scalars(select(Campaign).where(Campaign.workspace_id == ws, Campaign.name == "Welcome")).one()
    assert created.headers["location"] == f"/campaigns/{campaign.id}"
    assert (campaign.status, campaign.segment_id, float(campaign.holdout_percent)) == (
        CampaignStatus.DRAFT, world.segment_id, 10.0)
    page = logged_in.client.get(f"/campaigns/{campaign.id}").text
    assert "Before this campaign can go out" in page and "Add at least one message." in page


def test_new_campaign_errors_are_shown_with_what_was_typed(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    too_big = post(logged_in, "/campaigns", name="Big holdout", holdout_percent="80")
    assert too_big.status_code == 422 and 'value="Big holdout"' in too_big.text
    assert 'id="holdout-error"' in too_big.text and "50" in too_big.text
    assert post(logged_in, "/campaigns", name="", holdout_percent="0").status_code == 422
    ready_campaign(session, ws, world.segment_id, "Taken")
    clash = post(logged_in, "/campaigns", name="Taken")
    assert clash.status_code == 409 and 'id="name-error"' in clash.text and "already exists" in clash.text
    gone = post(logged_in, "/campaigns", name="Lost segment", segment_id="999999999")
    assert gone.status_code == 422 and "Not created." in gone.text
    assert session.scalars(select(Campaign.name).where(Campaign.workspace_id == ws)).all() == ["Taken"]


def test_settings_are_saved_and_errors_shown(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    campaign = ready_campaign(session, ws, world.segment_id)
    base = {"name": "Renamed", "description": "For the spring", "segment_id": str(world.segment_id),
            "holdout_percent": "5", "respect_quiet_hours": "on"}
    saved = post(logged_in, f"/campaigns/{campaign.id}/settings", **base)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=settings")
    session.expire_all()
    row = session.get(Campaign, campaign.id)
    assert row is not None and (row.name, row.respect_quiet_hours, row.respect_frequency_cap) == (
        "Renamed", True, False)
    assert "Settings saved." in logged_in.client.get(saved.headers["location"]).text
    bad = post(logged_in, f"/campaigns/{campaign.id}/settings", **{**base, "holdout_percent": "abc"})
    assert bad.status_code == 422 and 'value="abc"' in bad.text


def test_adding_an_email_opens_the_editor_with_a_sandboxed_preview(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    campaign = campaigns.create_campaign(session, workspace_id=ws, actor="t",
                                        data=schemas.CampaignCreate(name="Fresh", segment_id=world.segment_id))
    session.commit()
    added = post(logged_in, f"/campaigns/{campaign.id}/messages", channel="email")
    assert added.status_code == 303
    editor = logged_in.client.get(added.headers["location"])
    assert editor.status_code == 200
    assert "default-src 'self'" in editor.headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in editor.headers["Content-Security-Policy"]
    frame = re.search(r'<iframe id="preview-html"[^>]*>', editor.text)
    assert frame is not None and 'sandbox=""' in frame.group() and "srcdoc=" in frame.group()
    assert "Hello Alex," in html.unescape(frame.group())  # the sample contact
    assert 'id="preview-subject">A note for you, Alex<' in editor.text
    page = logged_in.client.get(f"/campaigns/{campaign.id}").text
    assert "Ready to launch or schedule" in page


def test_a_broken_template_is_refused_with_its_line(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    campaign = ready_campaign(session, ws, world.segment_id)
    url = variant_url(session, campaign.id)
    broken = "<html>\n<body>\n<p>Hi {{ first_name </p>\n</body></html>"
    response = post(logged_in, url, name="A", split_percent="100", subject="Hello", html=broken)
    assert response.status_code == 422
    assert "Not saved" in response.text and "Line 3:" in response.text
    assert "<mark>&lt;p&gt;Hi {{ first_name &lt;/p&gt;</mark>" in response.text
    assert "{{ first_name &lt;/p&gt;" in response.text  # what was typed is kept in the textarea
    session.expire_all()
    variant = session.scalars(select(MessageVariant).where(MessageVariant.campaign_id == campaign.id)).one()
    assert "first_name </p>" not in variant.html
    ok = post(logged_in, url, name="A", split_percent="100", subject="Hi {{ first_name }}",
              html="<p>Hello {{ first_name }}</p>", text="Hello {{ first_name }}")
    assert ok.status_code == 303 and ok.headers["location"] == url + "?saved=true"
    session.expire_all()
    variant = session.scalars(select(MessageVariant).where(MessageVariant.campaign_id == campaign.id)).one()
    assert (variant.subject, variant.text) == ("Hi {{ first_name }}", "Hello {{ first_name }}")
    assert 'id="notice">Saved.' in logged_in.client.get(ok.headers["location"]).text


def test_the_live_preview_renders_for_a_chosen_contact(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    add_audience(session, ws, 2, prefix="chosen")
    campaign = ready_campaign(session, ws, world.segment_id)
    url = variant_url(session, campaign.id) + "/preview"
    contact_id = session.scalars(select(Contact.id).where(Contact.workspace_id == ws,
                                                          Contact.email == "chosen1@example.com")).one()
    form = {"subject": "Hi {{ first_name }}", "html": "<p>Dear {{ first_name }}</p>", "text": ""}
    sample = logged_in.client.post(url, data=form, headers={**HTMX, "X-CSRF-Token": logged_in.csrf})
    assert sample.status_code == 200 and "<html" not in sample.text[:200]
    assert 'id="preview-subject">Hi Alex<' in sample.text and "Dear Alex" in html.unescape(sample.text)
    chosen = logged_in.client.post(url, data={**form, "contact_id": str(contact_id)},
                                   headers={**HTMX, "X-CSRF-Token": logged_in.csrf})
    assert 'id="preview-subject">Hi Person1<' in chosen.text
    typed = logged_in.client.post(url, data={**form, "contact_id": "", "contact_number": f"#{contact_id}"},
                                  headers={**HTMX, "X-CSRF-Token": logged_in.csrf})
    assert 'id="preview-subject">Hi Person1<' in typed.text
    unknown = logged_in.client.post(url, data={**form, "contact_number": "999999999"},
                                    headers={**HTMX, "X-CSRF-Token": logged_in.csrf})
    assert "There is no contact #999999999" in unknown.text
    broken = logged_in.client.post(url, data={**form, "html": "<p>\n{% for x in %}\n</p>"},
                                   headers={**HTMX, "X-CSRF-Token": logged_in.csrf})
    assert broken.status_code == 200 and "HTML, line 2:" in broken.text
    assert logged_in.client.post(url, data=form, headers=HTMX).status_code == 403  # no CSRF token


def test_review_approval_and_launch_by_role(tenant: Tenant, session: Session) -> None:
    world = make_world(session, tenant.id)
    set_sender(session, tenant.id, require_approval=True)
    add_audience(session, tenant.id, 4)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    marketer = as_role(tenant, session, Role.MARKETER)
    admin = as_role(tenant, session, Role.ADMIN, own_client=True)
    page = marketer.client.get(f"/campaigns/{campaign.id}").text
    assert 'id="action-submit"' in page and 'id="action-launch"' not in page  # approval required
    direct = post(marketer, f"/campaigns/{campaign.id}/launch")
    assert direct.status_code == 409 and "requires approval" in direct.text and 'id="problem"' in direct.text
    assert post(marketer, f"/campaigns/{campaign.id}/submit").headers["location"].endswith("?done=submitted")
    assert post(marketer, f"/campaigns/{campaign.id}/approve").status_code == 403
    assert 'id="action-approve"' in admin.client.get(f"/campaigns/{campaign.id}").text
    no_comment = post(admin, f"/campaigns/{campaign.id}/request-changes", comment=" ")
    assert no_comment.status_code == 422 and "Say what should change" in no_comment.text
    assert post(admin, f"/campaigns/{campaign.id}/request-changes", comment="Fix the subject").status_code == 303
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT  # type: ignore[union-attr]
    post(marketer, f"/campaigns/{campaign.id}/submit")
    assert post(admin, f"/campaigns/{campaign.id}/approve").headers["location"].endswith("?done=approved")
    launched = post(admin, f"/campaigns/{campaign.id}/launch")
    assert launched.status_code == 303 and launched.headers["location"].endswith("?done=launched")
    page = admin.client.get(launched.headers["location"]).text
    assert "Launched: sending has started." in page and 'id="campaign-progress"' in page
    assert f'hx-get="/campaigns/{campaign.id}/progress?shown=running"' in page and 'hx-trigger="every 1s"' in page
    assert 'id="count-pending">4<' in page and 'id="action-pause"' in page


def test_a_viewer_sees_but_changes_nothing(tenant: Tenant, session: Session) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    viewer = as_role(tenant, session, Role.VIEWER)
    page = viewer.client.get(f"/campaigns/{campaign.id}").text
    assert "Spring sale" in page and 'action="/campaigns/' not in page.replace('action="/campaigns/new"', "")
    assert "New campaign" not in viewer.client.get("/campaigns").text
    editor = viewer.client.get(variant_url(session, campaign.id)).text
    assert "changing content needs the marketer role" in editor and 'id="save-variant"' not in editor
    url = variant_url(session, campaign.id)
    for path, form in ((f"/campaigns/{campaign.id}/launch", {}), (f"/campaigns/{campaign.id}/settings", {"name": "x"}),
                       ("/campaigns", {"name": "Mine"}), (f"/campaigns/{campaign.id}/delete", {}),
                       (url, {"name": "A", "subject": "x", "html": "<p>x</p>"}),
                       (f"/campaigns/{campaign.id}/messages", {"channel": "email"})):
        assert post(viewer, path, **form).status_code == 403, path
    session.expire_all()
    row = session.get(Campaign, campaign.id)
    assert row is not None and (row.status, row.name) == (CampaignStatus.DRAFT, "Spring sale")


def test_review_steps_on_the_page_by_role(tenant: Tenant, session: Session) -> None:
    """Analysts follow but cannot submit, review or edit; managers review; an edit after approval goes to review."""
    world = make_world(session, tenant.id)
    set_sender(session, tenant.id, require_approval=True)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    base, url = f"/campaigns/{campaign.id}", variant_url(session, campaign.id)
    analyst = as_role(tenant, session, Role.ANALYST, own_client=True)
    marketer = as_role(tenant, session, Role.MARKETER, own_client=True)
    manager = as_role(tenant, session, Role.MANAGER, own_client=True)

    def status() -> CampaignStatus:
        session.expire_all()
        row = session.get(Campaign, campaign.id)
        assert row is not None
        return row.status

    def refused_to_analyst() -> None:
        page = analyst.client.get(base).text
        assert 'id="campaign-actions"></div>' in page.replace("\n", "")  # no step offered
        for path, form in ((f"{base}/submit", {}), (f"{base}/approve", {}),
                           (f"{base}/request-changes", {"comment": "no"}), (f"{base}/schedule", {"at": "2099-01-01T09:00"}),
                           (f"{base}/settings", {"name": "x"}), (url, {"name": "A", "subject": "x", "html": "<p>x</p>"})):
            assert post(analyst, path, **form).status_code == 403, path

    refused_to_analyst()
    assert post(marketer, f"{base}/submit").status_code == 303 and status() == CampaignStatus.IN_REVIEW
    refused_to_analyst()
    page = manager.client.get(base).text
    assert 'id="action-approve"' in page and 'id="action-request-changes"' in page and 'id="action-schedule"' not in page
    assert post(manager, f"{base}/request-changes", comment="Shorter").status_code == 303
    assert status() == CampaignStatus.DRAFT
    post(marketer, f"{base}/submit")
    assert post(marketer, f"{base}/approve").status_code == 403 and status() == CampaignStatus.IN_REVIEW
    assert post(manager, f"{base}/approve").headers["location"].endswith("?done=approved")
    assert status() == CampaignStatus.APPROVED
    refused_to_analyst()
    assert status() == CampaignStatus.APPROVED
    saved = post(marketer, url, name="A", split_percent="100", subject="Changed after approval", html="<p>Hi</p>")
    assert saved.status_code == 303 and status() == CampaignStatus.IN_REVIEW
    assert 'id="action-approve"' in manager.client.get(base).text


def test_schedule_pause_resume_and_cancel(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    add_audience(session, ws, 3)
    campaign = ready_campaign(session, ws, world.segment_id)
    base = f"/campaigns/{campaign.id}"
    past = post(logged_in, f"{base}/schedule", at="2020-01-01T09:00")
    assert past.status_code == 422 and "must be in the future" in past.text
    assert post(logged_in, f"{base}/schedule", at="next tuesday").status_code == 422
    start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    scheduled = post(logged_in, f"{base}/schedule", at=start.strftime("%Y-%m-%dT%H:%M"))
    assert scheduled.status_code == 303
    page = logged_in.client.get(base).text
    assert start.strftime("%d %b %Y, %H:%M UTC") in page and 'id="action-unschedule"' in page
    assert f'hx-get="/campaigns/{campaign.id}/progress?shown=scheduled" hx-trigger="every 5s"' in page
    assert post(logged_in, f"{base}/launch").status_code == 303
    assert post(logged_in, f"{base}/pause").headers["location"].endswith("?done=paused")
    paused = logged_in.client.get(base).text
    assert 'id="action-resume"' in paused and 'hx-trigger="every 2s"' in paused
    assert post(logged_in, f"{base}/resume").status_code == 303
    assert post(logged_in, f"{base}/cancel").headers["location"].endswith("?done=cancelled")
    page = logged_in.client.get(base).text
    assert 'id="count-cancelled">3<' in page and "hx-trigger=" not in page.split('id="campaign-progress"')[1][:400]
    again = post(logged_in, f"{base}/pause")
    assert again.status_code == 409 and 'id="problem"' in again.text


def test_the_progress_partial_counts_reasons_and_reloads_when_the_status_moves(
        logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    add_audience(session, ws, 6)
    campaign = ready_campaign(session, ws, world.segment_id, variants=2)
    assert post(logged_in, f"/campaigns/{campaign.id}/launch").status_code == 303
    rows = session.scalars(select(Delivery).where(Delivery.campaign_id == campaign.id).order_by(Delivery.id)).all()
    outcomes = [(DeliveryStatus.SENT, None), (DeliveryStatus.SENT, None), (DeliveryStatus.SKIPPED, DeliveryReason.NO_CONSENT),
                (DeliveryStatus.SKIPPED, DeliveryReason.FREQUENCY_CAP), (DeliveryStatus.FAILED, DeliveryReason.BOUNCED)]
    for row, (status, reason) in zip(rows, outcomes, strict=False):
        row.status, row.reason = status, reason
        row.sent_at = datetime.now(UTC) if status == DeliveryStatus.SENT else None
    session.commit()
    partial = logged_in.client.get(f"/campaigns/{campaign.id}/progress?shown=running", headers=HTMX)
    assert partial.status_code == 200 and "<html" not in partial.text
    text = partial.text
    assert 'id="progress-sent">2<' in text and 'data-deliveries="6"' in text
    assert 'id="count-failed">1<' in text and 'id="count-skipped">2<' in text and 'id="count-pending">1<' in text
    assert "No consent" in text and "Frequency cap" in text and "Bounced (address refused)" in text
    assert re.search(r'<span class="variant-name">A</span>.*?<span class="num">\d / 3</span>', text, re.S)
    assert 'hx-trigger="every 1s"' in text
    force_status(session, campaign, CampaignStatus.COMPLETED)
    session.commit()
    moved = logged_in.client.get(f"/campaigns/{campaign.id}/progress?shown=running", headers=HTMX)
    assert moved.headers.get("HX-Refresh") == "true"
    final = logged_in.client.get(f"/campaigns/{campaign.id}/progress?shown=completed", headers=HTMX)
    assert final.status_code == 200 and "hx-trigger" not in final.text


def test_another_workspaces_campaign_is_not_found(logged_in: LoggedIn, other_tenant: Tenant,
                                                  session: Session) -> None:
    theirs_world = make_world(session, other_tenant.id)
    theirs = ready_campaign(session, other_tenant.id, theirs_world.segment_id, "Theirs")
    url = variant_url(session, theirs.id)
    for path in (f"/campaigns/{theirs.id}", url):
        assert logged_in.client.get(path).status_code == 404, path
    assert logged_in.client.get(f"/campaigns/{theirs.id}/progress", headers=HTMX).status_code == 404
    for path, form in ((f"/campaigns/{theirs.id}/launch", {}), (f"/campaigns/{theirs.id}/settings", {"name": "x"}),
                       (f"/campaigns/{theirs.id}/duplicate", {}), (f"/campaigns/{theirs.id}/messages", {}),
                       (url, {"name": "A", "subject": "x", "html": "<p>x</p>"}), (url + "/preview", {"html": "x"}),
                       (f"/campaigns/{theirs.id}/schedule", {"at": "2099-01-01T00:00"})):
        assert post(logged_in, path, **form).status_code == 404, path
    assert "Theirs" not in logged_in.client.get("/campaigns").text
    ws_segment = logged_in.client.get(f"/campaigns/segment-count?segment_id={theirs_world.segment_id}").text
    assert "no such segment" in ws_segment
    session.expire_all()
    assert session.get(Campaign, theirs.id).status == CampaignStatus.DRAFT  # type: ignore[union-attr]


def test_variants_duplicate_and_delete(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    campaign = ready_campaign(session, ws, world.segment_id)
    variant = session.scalars(select(MessageVariant).where(MessageVariant.campaign_id == campaign.id)).one()
    added = post(logged_in, f"/campaigns/{campaign.id}/messages/{variant.message_id}/variants")
    assert added.status_code == 303
    session.expire_all()
    splits = session.execute(select(MessageVariant.name, MessageVariant.split_percent, MessageVariant.html)
                             .where(MessageVariant.campaign_id == campaign.id).order_by(MessageVariant.id)).all()
    assert [(n, s) for n, s, _ in splits] == [("A", 50), ("B", 50)] and splits[0][2] == splits[1][2]
    editor = logged_in.client.get(added.headers["location"]).text
    assert 'class="variant-tabs"' in editor and "Remove variant B" in editor
    assert post(logged_in, added.headers["location"] + "/delete").status_code == 303
    copy = post(logged_in, f"/campaigns/{campaign.id}/duplicate")
    assert copy.status_code == 303 and copy.headers["location"].endswith("?done=duplicated")
    assert "Spring sale (copy)" in logged_in.client.get(copy.headers["location"]).text
    session.add(Objective(workspace_id=ws, campaign_id=campaign.id, metric=ObjectiveMetric.CLICKS,
                          target=Decimal("5"), deadline=date(2020, 1, 1)))
    session.commit()
    second = post(logged_in, f"/campaigns/{campaign.id}/duplicate")
    assert second.headers["location"].endswith("?done=duplicated-without-past-objectives")
    assert "Objectives whose deadline had passed were left out" in logged_in.client.get(second.headers["location"]).text
    assert post(logged_in, second.headers["location"].split("?")[0] + "/delete").status_code == 303
    deleted = post(logged_in, f"/campaigns/{campaign.id}/delete")
    assert deleted.headers["location"] == "/campaigns?deleted=1"
    assert session.scalars(select(Campaign.name).where(Campaign.workspace_id == ws)).all() == ["Spring sale (copy)"]


def test_the_panel_polls_big_campaigns_less_often_and_words_durations() -> None:
    from kempen.delivery.schemas import CampaignProgress
    from kempen.web.views.campaign_progress import ProgressView, duration

    def view(status: CampaignStatus, deliveries: int) -> ProgressView:
        progress = CampaignProgress(
            campaign_id=1, status=status, scheduled_at=None, launched_at=None, finished_at=None, audience=deliveries,
            holdout=0, deliveries=deliveries, by_status={}, skipped_by_reason={}, failed_by_reason={}, deferred=0,
            variants=[], rate_per_second=0.0, eta_seconds=None, done=0, percent_done=0.0)
        return ProgressView(progress, [], [], [])

    assert (view(CampaignStatus.RUNNING, 5_000).poll_seconds, view(CampaignStatus.RUNNING, 500_000).poll_seconds) == (1, 2)
    assert view(CampaignStatus.PAUSED, 10).poll_seconds == 2 and view(CampaignStatus.PAUSED, 10).live
    assert not view(CampaignStatus.COMPLETED, 10).live
    assert [duration(s) for s in (None, 0.4, 42, 600, 7500)] == ["—", "0 s", "42 s", "10 min", "2 h 5 min"]
