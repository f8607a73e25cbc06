"""Teamwork in a browser: a marketer adds a task for a manager and mentions them in a comment; the manager
sees the bell's count, opens the notification and lands on the comment."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.models import Role
from tests.campaigns.conftest import make_world
from tests.conftest import Tenant
from tests.teamwork.conftest import PASSWORD, make_team
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_task_and_a_mention_reach_the_manager(live_server: str, tenant: Tenant, session: Session,  # noqa: F811
                                                 tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import Page, expect, sync_playwright

    team = make_team(session, make_world(session, tenant.id, tenant.workspace.slug))
    campaign = team.world.campaign(name="Summer sale")
    marketer, manager = team.user(Role.MARKETER), team.user(Role.MANAGER)

    def log_in(page: Page, email: str, path: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{live_server}/login?next={path}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}{path}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        log_in(page, marketer.email, f"/campaigns/{campaign.id}")
        expect(page.locator("#no-tasks")).to_be_visible()
        page.locator("#add-task-toggle").click()
        page.get_by_label("Title").fill("Approve the banner")
        page.get_by_label("Assignee").select_option(str(manager.id))
        page.get_by_label("Due").fill("2030-06-30")
        page.locator("#save-task").click()
        expect(page.locator("#task-list .task")).to_have_count(1)
        expect(page.locator("#task-list")).to_contain_text("for Mona Manager")
        handle = manager.email.split("@")[0]
        page.get_by_label("Comment", exact=True).fill(f"@{handle} the banner is ready for you <b>today</b>")
        page.locator("#post-comment").click()
        expect(page.locator("#comment-list .comment")).to_have_count(1)
        expect(page.locator("#comment-list .comment-body")).to_have_text(
            f"@{handle} the banner is ready for you <b>today</b>")  # shown as written, not as HTML
        page.screenshot(path=str(tmp_path / "teamwork-card.png"), full_page=True)

        log_in(page, manager.email, "/campaigns")
        expect(page.locator("#bell-count")).to_have_text("2")
        page.locator("#bell").click()
        expect(page).to_have_url(f"{live_server}/notifications")
        expect(page.locator("#notification-list .notification-unread")).to_have_count(2)
        page.screenshot(path=str(tmp_path / "notifications.png"), full_page=True)
        page.get_by_role("button", name="You were mentioned on").click()
        expect(page).to_have_url(f"{live_server}/campaigns/{campaign.id}#comment-" + page.url.rsplit("-", 1)[-1])
        expect(page.locator("#comment-list")).to_contain_text("the banner is ready for you")
        expect(page.locator("#bell-count")).to_have_text("1")
        browser.close()
