"""Issue 7's walk, in a browser and only through the pages: in a workspace that requires approval, a marketer
plans a campaign (audience, email, objective, budget, a task for the manager) and submits it; the manager
opens it from the notification and asks for changes; the marketer fixes the content and resubmits; the
manager approves; the marketer schedules it; the analyst follows it (campaign, report, calendar) without a
single control to change it, and the analyst's own POSTs are refused. Last, an edit of the scheduled
campaign's content sends it back to review and off the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Campaign, CampaignStatus, MessageVariant, Role
from tests.campaigns.conftest import make_world, set_sender
from tests.conftest import Tenant
from tests.teamwork.conftest import PASSWORD, make_team
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser
NAME = "Autumn walk"


def _campaign(session: Session, workspace_id: int) -> Campaign:
    session.expire_all()
    found = session.scalar(select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.name == NAME))
    assert found is not None
    return found


def test_marketer_manager_and_analyst_walk_a_campaign_to_scheduled(
        live_server: str, tenant: Tenant, session: Session, tmp_path: Path) -> None:  # noqa: F811
    _require_browser()
    from playwright.sync_api import Page, expect, sync_playwright

    team = make_team(session, make_world(session, tenant.id, tenant.workspace.slug))
    set_sender(session, tenant.id, require_approval=True)
    session.commit()
    marketer, manager, analyst = (team.user(r) for r in (Role.MARKETER, Role.MANAGER, Role.ANALYST))
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=30, second=0, microsecond=0)
    deadline = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()

    def log_in(page: Page, email: str, path: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{live_server}/login?next={path}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}{path}")

    def status_is(page: Page, label: str) -> None:
        expect(page.locator("#campaign-status")).to_contain_text(label)

    def edit_subject(page: Page, subject: str) -> None:
        page.get_by_role("link", name="Edit").first.click()
        page.locator("#variant-subject").fill(subject)
        page.locator("#save-variant").click()
        expect(page.locator("#notice")).to_contain_text("Saved")
        page.get_by_role("link", name="Back to the campaign").click()

    def open_notification(page: Page, title: str) -> None:
        page.locator("#bell").click()
        expect(page).to_have_url(f"{live_server}/notifications")
        page.locator(".notification-open", has_text=title).first.click()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})

        # The marketer plans the campaign and submits it.
        log_in(page, marketer.email, "/campaigns")
        page.get_by_role("link", name="New campaign").first.click()
        page.get_by_label("Name").fill(NAME)
        page.locator("#campaign-segment").select_option(label="everyone")
        page.locator("#create-campaign").click()
        status_is(page, "Draft")
        campaign_id = _campaign(session, tenant.id).id
        page.locator("#add-email").click()
        page.locator("#variant-subject").fill("Autumn news for {{ first_name }}")
        page.locator("#save-variant").click()
        expect(page.locator("#notice")).to_contain_text("Saved")
        page.get_by_role("link", name="Back to the campaign").click()
        page.locator("#objective-target").fill("150")
        page.locator("#objective-deadline").fill(deadline)
        page.locator("#objective-add").click()
        expect(page.locator("#objective-list .objective")).to_have_count(1)
        page.locator("#budget-link").click()
        page.get_by_label("Channel").fill("email")
        page.locator("#month-amount").fill("250")
        page.locator("#month-form button[type=submit]").click()
        expect(page.locator("#notice")).to_contain_text("Budget saved")
        page.get_by_role("link", name=NAME).click()
        page.locator("#add-task-toggle").click()
        page.get_by_label("Title").fill("Check the autumn offer")
        page.get_by_label("Assignee").select_option(str(manager.id))
        page.locator("#save-task").click()
        expect(page.locator("#task-list .task")).to_have_count(1)
        expect(page.locator("#readiness")).to_contain_text("Ready for review")
        page.locator("#action-submit").click()
        expect(page.locator("#notice")).to_contain_text("Submitted for review")
        status_is(page, "In review")
        page.screenshot(path=str(tmp_path / "1-submitted.png"), full_page=True)

        # The manager opens it from the notification and asks for changes.
        log_in(page, manager.email, "/campaigns")
        open_notification(page, f"Review requested: “{NAME}”")
        expect(page).to_have_url(f"{live_server}/campaigns/{campaign_id}")
        expect(page.locator("#task-list")).to_contain_text("Check the autumn offer")
        page.locator("#action-request-changes summary").click()
        page.locator("#change-comment").fill("Name the autumn discount in the subject, please.")
        page.get_by_role("button", name="Send back to draft").click()
        expect(page.locator("#notice")).to_contain_text("Sent back to draft")
        status_is(page, "Draft")

        # The marketer reads the comment, fixes the subject and resubmits.
        log_in(page, marketer.email, "/campaigns")
        open_notification(page, f"Changes requested: “{NAME}”")
        expect(page.locator("#comment-list")).to_contain_text("Name the autumn discount in the subject")
        edit_subject(page, "20 % off this autumn, {{ first_name }}")
        status_is(page, "Draft")
        page.locator("#action-submit").click()
        status_is(page, "In review")

        # The manager approves.
        log_in(page, manager.email, f"/campaigns/{campaign_id}")
        expect(page.locator("#action-schedule")).to_have_count(0)  # scheduling is the marketer's
        page.locator("#action-approve").click()
        expect(page.locator("#notice")).to_contain_text("Approved")
        status_is(page, "Approved")

        # The marketer schedules it.
        log_in(page, marketer.email, f"/campaigns/{campaign_id}")
        expect(page.locator("#action-approve")).to_have_count(0)  # marketers do not approve
        page.locator("#action-schedule summary").click()
        page.locator("#schedule-at").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Schedule", exact=True).click()
        expect(page.locator("#notice")).to_contain_text("Scheduled")
        status_is(page, "Scheduled")

        # The analyst follows it, sees no control that changes it, and is refused when posting anyway.
        log_in(page, analyst.email, f"/campaigns/{campaign_id}")
        status_is(page, "Scheduled")
        expect(page.locator("#campaign-actions form, #campaign-actions details")).to_have_count(0)
        expect(page.locator("#add-email")).to_have_count(0)
        expect(page.locator("#settings form")).to_have_count(0)
        expect(page.locator("#objective-list .objective")).to_have_count(1)
        expect(page.locator(".objective-edit, .objective-remove, #objective-form")).to_have_count(0)
        expect(page.locator("#add-task-toggle")).to_have_count(0)
        page.locator("#performance-link").click()
        expect(page).to_have_url(f"{live_server}/campaigns/{campaign_id}/performance")
        expect(page.locator("h1")).to_contain_text(NAME)
        page.get_by_role("link", name="Calendar").first.click()
        _show_month_of(page, start, expect)
        scheduled = page.locator(f'.cal-event[data-campaign="{campaign_id}"][data-kind="scheduled"]')
        expect(scheduled).to_have_count(1)
        page.screenshot(path=str(tmp_path / "2-analyst-calendar.png"), full_page=True)
        refused = _analyst_posts(page, live_server, session, campaign_id)
        assert refused == {path: 403 for path in refused}, refused
        budget = page.request.post(f"{live_server}/campaigns/{campaign_id}/budget/months", max_redirects=0, form={
            "csrf_token": page.locator("input[name=csrf_token]").first.get_attribute("value") or "",
            "channel": "email", "month": "2099-01", "amount": "1"})
        assert budget.status == 403
        assert _campaign(session, tenant.id).status == CampaignStatus.SCHEDULED  # nothing withdrew the approval

        # An edit of the scheduled campaign's content withdraws the approval: back to review, off the calendar.
        log_in(page, marketer.email, f"/campaigns/{campaign_id}")
        edit_subject(page, "25 % off this autumn, {{ first_name }}")
        status_is(page, "In review")
        expect(page.locator("#action-schedule")).to_have_count(0)
        page.get_by_role("link", name="Calendar").first.click()
        _show_month_of(page, start, expect)
        expect(page.locator(f'.cal-event[data-campaign="{campaign_id}"][data-kind="scheduled"]')).to_have_count(0)
        log_in(page, manager.email, "/campaigns")
        open_notification(page, f"Review requested again: “{NAME}”")
        status_is(page, "In review")
        expect(page.locator("#action-approve")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "3-back-in-review.png"), full_page=True)
        browser.close()
    campaign = _campaign(session, tenant.id)
    assert campaign.status == CampaignStatus.IN_REVIEW and campaign.scheduled_at is None


def _show_month_of(page: Any, when: datetime, expect: Any) -> None:
    """Step the calendar forward to the month of `when` (the start may fall in next month)."""
    expect(page.locator("#calendar-grid")).to_be_visible()
    if when.month != datetime.now(UTC).month:
        page.locator("#cal-next").click()
        expect(page.locator("#calendar-title")).to_contain_text(when.strftime("%B"))


def _analyst_posts(page: Any, server: str, session: Session, campaign_id: int) -> dict[str, int]:
    """The analyst's browser posts each change with its own CSRF token: every one must be refused (403)."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    variant = session.scalars(select(MessageVariant).where(MessageVariant.campaign_id == campaign_id)).one()
    base = f"/campaigns/{campaign_id}"
    forms: dict[str, dict[str, str]] = {
        f"{base}/approve": {}, f"{base}/submit": {}, f"{base}/unschedule": {}, f"{base}/launch": {},
        f"{base}/request-changes": {"comment": "no"}, f"{base}/schedule": {"at": "2099-01-01T09:00"},
        f"{base}/settings": {"name": "Renamed", "segment_id": ""},
        f"{base}/messages/{variant.message_id}/variants/{variant.id}": {"subject": "Hijacked", "html": "<p>x</p>"},
        f"{base}/objectives": {"target": "5", "deadline": "2099-01-01"},
    }
    return {path: page.request.post(f"{server}{path}", form={"csrf_token": token or "", **form},
                                    max_redirects=0).status for path, form in forms.items()}
