"""The sending round: message costs that grow while a campaign sends raise the budget warning, once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.control import launch_campaign
from kempen.delivery.inprocess import start_inprocess_worker
from kempen.kit.clock import utcnow
from kempen.models import AuditEntry, Campaign, CampaignSpend, CampaignStatus, Role
from kempen.models.teamwork import NotificationKind
from kempen.planning import budget_round, budgets
from kempen.planning.budgets import MonthlyBudgetSet
from kempen.teamwork import notifications
from kempen.teamwork.budget_alerts import notify_budget_alert
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import unique
from tests.delivery.conftest import (  # noqa: F401 - parked and smtp_sink are fixtures used here
    ACTOR,
    Sink,
    add_contacts,
    make_campaign,
    new_workspace,
    parked,
    sent_count,
    smtp_sink,
)

pytestmark = pytest.mark.usefixtures("parked")
CONTACTS = 60


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch, smtp_sink: Sink) -> Iterator[None]:  # noqa: F811
    monkeypatch.setenv("KEMPEN_BATCH_SIZE", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def priced_campaign(session: Session) -> tuple[int, int, int]:
    """A workspace at 0.10 per email, a campaign to 60 contacts owned by a marketer, 5.00 planned (warn at 80 %)."""
    ws = new_workspace(session)
    add_contacts(session, ws, CONTACTS)
    get_tracking_settings(session, workspace_id=ws).email_cost_per_message = Decimal("0.10")
    owner = accounts.create_user(session, email=f"{unique('owner')}@example.com", password="correct horse battery")
    accounts.add_member(session, workspace_id=ws, user_id=owner.id, role=Role.MARKETER)
    built = make_campaign(session, ws)
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None
    campaign.owner_id = owner.id
    budgets.set_monthly_budget(session, workspace_id=ws, actor=ACTOR, campaign_id=built.campaign_id,
                               data=MonthlyBudgetSet(channel="email", month=utcnow().date(), amount=Decimal("7.00"),
                                                     warn_percent=Decimal("80")))
    session.commit()
    return ws, built.campaign_id, owner.id


def warnings_of(session: Session, ws: int, campaign_id: int, owner_id: int) -> tuple[int, int]:
    session.expire_all()
    audited = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.workspace_id == ws, AuditEntry.action == "budget.threshold_passed",
        AuditEntry.entity_type == "campaign", AuditEntry.entity_id == str(campaign_id)))
    items, _ = notifications.list_notifications(session, workspace_id=ws, user_id=owner_id)
    return audited or 0, sum(1 for n in items if n.kind == NotificationKind.BUDGET_WARNING)


def wait_until_completed(session: Session, campaign_id: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and campaign.status == CampaignStatus.COMPLETED:
            return
        time.sleep(0.1)
    raise AssertionError(f"campaign {campaign_id} did not complete in {timeout} s")


def test_a_send_that_passes_the_threshold_warns_once(session: Session, small_batches: None) -> None:
    budgets.on_budget_alert(notify_budget_alert)  # what app.py and the CLI register
    ws, campaign_id, owner_id = priced_campaign(session)
    assert warnings_of(session, ws, campaign_id, owner_id) == (0, 0)  # planned at 0 spent: nothing yet
    launch_campaign(session, workspace_id=ws, campaign_id=campaign_id, actor=ACTOR)
    session.commit()
    stop_round = threading.Event()
    round_thread = threading.Thread(target=budget_round.budget_loop, args=(stop_round,),
                                    kwargs={"interval": 0.05}, daemon=True)
    stop_sending = start_inprocess_worker(threads=2, factory=get_session_factory(), tick_seconds=0.1)
    round_thread.start()  # rounds run while batches go out, as in `kempen serve`
    try:
        wait_until_completed(session, campaign_id)
    finally:
        stop_sending()
        time.sleep(0.2)
        stop_round.set()
        round_thread.join(timeout=10)
    assert sent_count(session, campaign_id) == CONTACTS  # 6.00 of 7.00: past 80 %, not over
    budget_round.run_round(get_session_factory())  # one more round after the end: still once
    assert warnings_of(session, ws, campaign_id, owner_id) == (1, 1)
    line = budgets.month_lines(session, workspace_id=ws, campaign_id=campaign_id)[0]
    assert (line.actual, line.level) == (Decimal("6.00"), "warning")


def test_the_round_looks_only_at_priced_campaigns_sending_or_just_finished(session: Session) -> None:
    ws, campaign_id, _ = priced_campaign(session)
    now = utcnow()
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    campaign.status, campaign.finished_at = CampaignStatus.COMPLETED, now - timedelta(minutes=50)
    session.commit()
    assert (campaign_id, None) in budget_round.sending_owners(session, now=now).get(ws, set())
    assert ws not in budget_round.sending_owners(session, now=now + timedelta(minutes=20))  # over an hour ago
    campaign.status, campaign.finished_at = CampaignStatus.RUNNING, None
    get_tracking_settings(session, workspace_id=ws).email_cost_per_message = Decimal("0")
    session.commit()
    assert ws not in budget_round.sending_owners(session, now=now)  # no cost per message: nothing grows


def test_the_round_runs_once_per_process_with_the_other_background_loops(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from kempen.background import start_background_workers

    ws, campaign_id, owner_id = priced_campaign(session)
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    campaign.status = CampaignStatus.RUNNING
    # Spend written directly (the spend services would check the budget themselves): only the round sees it.
    session.add(CampaignSpend(workspace_id=ws, campaign_id=campaign_id, channel="email", spend_date=utcnow().date(),
                              amount=Decimal("6.00"),
                              currency=get_tracking_settings(session, workspace_id=ws).currency))
    session.commit()
    monkeypatch.setattr(budget_round, "ROUND_SECONDS", 0.05)
    stop = start_background_workers()
    try:
        assert [t.name for t in threading.enumerate() if t.is_alive()].count("kempen-budgets") == 1
        deadline = time.monotonic() + 20
        while warnings_of(session, ws, campaign_id, owner_id)[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop()
    assert warnings_of(session, ws, campaign_id, owner_id)[0] == 1
    assert not any(t.name == "kempen-budgets" and t.is_alive() for t in threading.enumerate())
