"""The universal holdout's settings page and report page through the real login, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.experiments.schemas import EstimateOut
from kempen.experiments.universal_holdout import (
    HoldoutState,
    get_universal_holdout,
    holdout_state,
    in_holdout,
)
from kempen.experiments.universal_lift import universal_lift
from kempen.kit.clock import utcnow
from kempen.models import Contact, Order, Role
from kempen.web.views.universal_holdout import interval_bar
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD, LoggedIn, login, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

PAGE = "/settings/universal-holdout"
REPORT = "/reports/universal-holdout"


def _contacts(session: Session, workspace_id: int, count: int) -> list[int]:
    made = []
    for _ in range(count):
        email = f"{unique('w')}@example.com"
        contact = Contact(workspace_id=workspace_id, email=email, email_normalized=email,
                          created_at=utcnow() - timedelta(days=5))
        session.add(contact)
        session.flush()
        made.append(contact.id)
    session.commit()
    return made


def _post(logged_in: LoggedIn, path: str, **form: str) -> httpx.Response:
    return logged_in.client.post(path, data={"csrf_token": logged_in.csrf, **form}, follow_redirects=False)


def test_admin_starts_changes_and_ends_the_holdout(logged_in: LoggedIn, session: Session) -> None:
    c, ws = logged_in.client, logged_in.tenant.id
    _contacts(session, ws, 200)
    page = c.get(PAGE)
    assert page.status_code == 200 and 'data-state="off"' in page.text and "Start the holdout" in page.text
    end_day = (utcnow() + timedelta(days=90)).date()
    started = _post(logged_in, PAGE, percent="10", starts_on="", ends_on=end_day.isoformat())
    assert started.status_code == 303 and started.headers["location"].endswith("notice=enabled")
    row = get_universal_holdout(session, workspace_id=ws)
    session.refresh(row)
    assert row.percent == Decimal("10") and holdout_state(row, utcnow()) is HoldoutState.RUNNING
    assert row.ends_at is not None and row.ends_at.date() == end_day + timedelta(days=1)  # the end day is included
    page = c.get(PAGE, params={"notice": "enabled"})
    assert 'data-state="running"' in page.text and 'id="notice"' in page.text
    held = re.search(r'id="held-out-now"><strong>([\d,]+)</strong> of 200', page.text)
    assert held is not None and 5 <= int(held.group(1)) <= 40
    assert re.search(r'id="percent"[^>]* disabled', page.text)  # fixed mid-period
    # The end moves; a bad date and a date in the past are refused on the form.
    later = (utcnow() + timedelta(days=120)).date().isoformat()
    assert _post(logged_in, PAGE, ends_on=later).status_code == 303
    bad = _post(logged_in, PAGE, ends_on="31/12/2030")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    past = _post(logged_in, PAGE, ends_on=(utcnow() - timedelta(days=3)).date().isoformat())
    assert past.status_code == 422 and 'id="problem"' in past.text and "in the future" in past.text
    session.refresh(row)
    assert row.ends_at is not None and row.ends_at.date().isoformat() > later  # unchanged by the refusals
    ended = _post(logged_in, f"{PAGE}/end")
    assert ended.headers["location"].endswith("notice=ended")
    assert 'data-state="ended"' in c.get(PAGE).text
    assert c.post(f"{PAGE}/end", data={}).status_code == 403  # no CSRF token


def test_bad_share_is_shown_next_to_its_field(logged_in: LoggedIn) -> None:
    answer = _post(logged_in, PAGE, percent="35", starts_on="", ends_on="")
    assert answer.status_code == 422 and "from 1 to 20" in answer.text
    past = _post(logged_in, PAGE, percent="5", starts_on="2020-01-01", ends_on="")
    assert past.status_code == 422 and "cannot start in the past" in past.text


def test_viewers_read_but_cannot_change(logged_in: LoggedIn, session: Session) -> None:
    email = f"{unique('viewer')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=Role.VIEWER)
    session.commit()
    assert login(logged_in.client, email).status_code == 303
    page = logged_in.client.get(PAGE)
    assert page.status_code == 200 and "Only admins can change" in page.text and "<fieldset disabled" in page.text
    assert _post(logged_in, PAGE, percent="5").status_code == 403
    assert _post(logged_in, f"{PAGE}/end").status_code == 403
    assert logged_in.client.get(REPORT).status_code == 200


def test_report_page_states(logged_in: LoggedIn, session: Session) -> None:
    c, ws = logged_in.client, logged_in.tenant.id
    off = c.get(REPORT)
    assert off.status_code == 200 and 'data-state="off"' in off.text and "No figures yet" in off.text
    ids = _contacts(session, ws, 120)
    assert _post(logged_in, PAGE, percent="20", starts_on="", ends_on="").status_code == 303
    row = get_universal_holdout(session, workspace_id=ws)
    session.refresh(row)
    for contact_id in ids[:40]:
        session.add(Order(workspace_id=ws, external_id=unique("o"), contact_id=contact_id, placed_at=utcnow(),
                          amount=Decimal("30"), currency="EUR"))
    session.commit()
    page = c.get(REPORT)
    assert page.status_code == 200 and 'data-state="running"' in page.text
    expected = universal_lift(session, workspace_id=ws)
    assert expected.held_out is not None and expected.exposed is not None
    held_converted = int(in_holdout(row.seed, row.percent, np.array(ids[:40], dtype=np.int64)).sum())
    assert expected.held_out.converted == held_converted
    assert f'data-field="contacts">{expected.held_out.contacts}<' in page.text
    assert f'data-field="converted">{expected.exposed.converted}<' in page.text
    assert expected.caption in page.text.replace("&#39;", "'")
    assert 'id="held-out-now">' + str(expected.held_out.contacts) in page.text
    assert '<svg class="interval"' in page.text  # the intervals are drawn


def test_interval_bar_spans_the_interval_and_zero() -> None:
    bar = interval_bar(EstimateOut(estimate=0.02, low=0.01, high=0.03, method="m"), 100, width=100)
    assert bar is not None and bar["zero"] < bar["low"] < bar["mid"] < bar["high"] <= 100 and bar["above_zero"]
    crossing = interval_bar(EstimateOut(estimate=-1.0, low=-3.0, high=1.0, method="m"), width=100)
    assert crossing is not None and crossing["low"] < crossing["zero"] < crossing["high"]
    assert not crossing["above_zero"] and not crossing["below_zero"]
    assert interval_bar(EstimateOut(estimate=1.0, method="m", reason="no spread")) is None


@pytest.mark.browser
def test_in_chromium_start_the_holdout_and_read_the_report(live_server: str, tenant: Tenant,  # noqa: F811
                                                             session: Session, tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    ids = _contacts(session, tenant.id, 400)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/login?next={PAGE}")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Share held out (1–20 %)").fill("10")
        page.get_by_role("button", name="Start the holdout").click()
        expect(page.locator("#state")).to_have_attribute("data-state", "running")
        expect(page.locator("#percent")).to_be_disabled()
        page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)
        for contact_id in ids[:80]:
            session.add(Order(workspace_id=tenant.id, external_id=unique("o"), contact_id=contact_id,
                              placed_at=utcnow(), amount=Decimal("20"), currency="EUR"))
        session.commit()
        page.get_by_role("link", name="Report", exact=True).click()
        expect(page.locator("#caption")).to_contain_text("marketing")
        expect(page.locator("#groups-table tbody tr")).to_have_count(2)
        expect(page.locator("svg.interval")).to_have_count(2)
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
