"""The automatic winner end to end, with simulated time, on both databases.

The test share goes out for real through the in-process engine to an SMTP server; clicks are recorded
as tracking events minutes after launch; the engine loop is ticked at launch + wait − 1 minute (nothing
happens) and at launch + wait (the winner is decided and written for the rest), and the in-process
engine sends the rest.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery import control
from kempen.delivery import winner as winner_module
from kempen.delivery.audience import holdout_size, split_counts
from kempen.delivery.inprocess import start_inprocess_worker
from kempen.delivery.loop import EngineLoop
from kempen.delivery.progress import campaign_progress
from kempen.experiments.universal_holdout import UniversalHoldoutSet, enable_universal_holdout, held_out_mask
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import (
    AuditEntry,
    Campaign,
    CampaignHoldoutMember,
    CampaignStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    TouchKind,
    TrackingEvent,
)
from tests.delivery.conftest import ACTOR, Built, Sink, add_contacts, make_campaign, new_workspace

pytestmark = pytest.mark.usefixtures("parked")
WAIT = timedelta(hours=4)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch, smtp_sink: Sink) -> Iterator[None]:
    monkeypatch.setenv("KEMPEN_BATCH_SIZE", "40")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def winner_campaign(session: Session, workspace_id: int, *, fallback: str = "first", holdout: str = "10",
                    test_percent: int = 20) -> Built:
    built = make_campaign(session, workspace_id, splits=(50, 50), holdout=holdout)
    session.execute(update(Campaign).where(Campaign.id == built.campaign_id).values(
        winner_metric="click_rate", winner_test_percent=test_percent, winner_wait_minutes=int(WAIT.total_seconds() // 60),
        winner_fallback=fallback))
    session.commit()
    return built


def campaign_of(session: Session, campaign_id: int) -> Campaign:
    session.expire_all()
    found = session.get(Campaign, campaign_id)
    assert found is not None
    return found


def deliveries(session: Session, campaign_id: int) -> list[Any]:
    session.expire_all()
    return list(session.execute(select(Delivery.id, Delivery.contact_id, Delivery.variant_id, Delivery.message_id,
                                       Delivery.status).where(Delivery.campaign_id == campaign_id)))


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def engine_running() -> Iterator[None]:
    """The in-process engine (sending threads and its loop, on the real clock) while the block runs."""
    stop = start_inprocess_worker(threads=2, factory=get_session_factory(), tick_seconds=0.1)
    try:
        yield
    finally:
        stop()


def all_sent(session: Session, campaign_id: int) -> bool:
    rows = deliveries(session, campaign_id)
    return bool(rows) and all(r.status == DeliveryStatus.SENT for r in rows)


def click(session: Session, rows: list[Any], at: datetime) -> None:
    """A human click on each of these deliveries at `at`."""
    if not rows:
        return
    sample = rows[0]
    campaign_id = session.scalar(select(Delivery.campaign_id).where(Delivery.id == sample.id))
    workspace_id = session.scalar(select(Delivery.workspace_id).where(Delivery.id == sample.id))
    session.execute(insert(TrackingEvent), [
        {"workspace_id": workspace_id, "kind": TouchKind.CLICK, "occurred_at": at, "campaign_id": campaign_id,
         "message_id": r.message_id, "variant_id": r.variant_id, "delivery_id": r.id, "contact_id": r.contact_id,
         "channel": Channel.EMAIL, "url": "https://shop.example.com/", "link_index": 0, "machine": False}
        for r in rows])
    session.commit()


def clicks_per_variant(session: Session, built: Built, t0: datetime, shares: tuple[float, float]) -> None:
    """Make the given share of each variant's test recipients click, 10 minutes after launch."""
    rows = deliveries(session, built.campaign_id)
    for variant_id, share in zip(built.variant_ids, shares, strict=True):
        mine = sorted((r for r in rows if r.variant_id == variant_id), key=lambda r: r.id)
        click(session, mine[:round(share * len(mine))], t0 + timedelta(minutes=10))


def quiet_loop() -> EngineLoop:
    """An engine loop that decides and completes but queues nothing (the in-process engine sends)."""
    return EngineLoop(enqueue=lambda ids: None, room=lambda: 0, factory=get_session_factory())


def launch(session: Session, ws: int, built: Built, t0: datetime) -> Any:
    result = control.launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR, now=t0)
    session.commit()
    return result


def universal_holdout(session: Session, ws: int, contacts: list[int], at: datetime) -> set[int]:
    """Turn on a 10 % universal holdout just before `at`; return who it holds out."""
    enable_universal_holdout(session, workspace_id=ws, actor=ACTOR,
                             data=UniversalHoldoutSet(percent=Decimal("10"), seed=7), now=at - timedelta(minutes=1))
    session.commit()
    ids = np.array(contacts, dtype=np.int64)
    return set(ids[held_out_mask(session, workspace_id=ws, contact_ids=ids, at=at)].tolist())


def test_the_significant_winner_goes_to_the_rest(session: Session, smtp_sink: Sink, small_batches: None) -> None:
    ws = new_workspace(session)
    contacts = add_contacts(session, ws, 1000)
    built = winner_campaign(session, ws)
    a, b = built.variant_ids
    t0 = utcnow()
    universal = universal_holdout(session, ws, contacts, t0)
    result = launch(session, ws, built, t0)
    # Universal holdout first, then a 10 % campaign holdout, then 20 % of the others as the test share (50/50).
    members = 1000 - len(universal)
    holdout = holdout_size(members, Decimal(10))
    test = holdout_size(members - holdout, Decimal(20))
    rest = members - holdout - test
    n_a, n_b = split_counts(test, [50, 50])
    assert 40 < len(universal) < 160
    assert (result.audience, result.holdout, result.deliveries, result.winner_rest) == (1000, holdout, test, rest)
    assert result.winner_decide_at == t0 + WAIT
    assert Counter(r.variant_id for r in deliveries(session, built.campaign_id)) == {a: n_a, b: n_b}
    before = campaign_progress(session, workspace_id=ws, campaign_id=built.campaign_id).winner
    assert before is not None and before.summary.startswith("Testing on 20 % — winner picked on click rate at ")

    with engine_running():
        wait_until(lambda: all_sent(session, built.campaign_id), "the test share to be sent")
        time.sleep(0.5)  # a few rounds of the real loop: the campaign must not complete while the winner waits
        assert campaign_of(session, built.campaign_id).status == CampaignStatus.RUNNING
        assert len(smtp_sink.handler.per_recipient) == test

        clicks_per_variant(session, built, t0, (0.10, 0.40))  # B's test recipients click four times as often
        quiet_loop().tick(now=t0 + WAIT - timedelta(minutes=1))
        assert campaign_of(session, built.campaign_id).winner_decided_at is None
        quiet_loop().tick(now=t0 + WAIT)
        decided = campaign_of(session, built.campaign_id)
        assert decided.winner_decided_at == t0 + WAIT and decided.winner_variant_id == b

        wait_until(lambda: campaign_of(session, built.campaign_id).status == CampaignStatus.COMPLETED,
                   "the campaign to complete")

    rows = deliveries(session, built.campaign_id)
    held = set(session.scalars(select(CampaignHoldoutMember.contact_id).where(
        CampaignHoldoutMember.campaign_id == built.campaign_id)))
    per_contact = Counter(r.contact_id for r in rows)
    assert len(held) == holdout and not (held | universal) & set(per_contact) and not held & universal
    assert set(per_contact) == set(contacts) - held - universal and set(per_contact.values()) == {1}
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert Counter(r.variant_id for r in rows) == {a: n_a, b: n_b + rest}
    counts = smtp_sink.handler.per_recipient
    assert len(counts) == members - holdout and set(counts.values()) == {1}
    decision = campaign_of(session, built.campaign_id).winner_decision
    assert decision is not None and decision["metric"] == "click_rate" and decision["rest"] == rest
    entry = decision["messages"][0]
    assert (entry["reason"], entry["variant_name"], entry["fallback"]) == ("significant", "B", None)
    assert entry["p_value"] is not None and entry["p_value"] < 0.001
    assert {arm["name"]: arm["recipients"] for arm in entry["arms"]} == {"A": n_a, "B": n_b}
    rates = [f"{100 * round(share * n) / n:.1f} %" for share, n in ((0.40, n_b), (0.10, n_a))]
    assert decision["summary"] == (f"Winner: B (click rate {rates[0]} vs {rates[1]}, p < 0.001) sent to the "
                                   f"remaining {rest:,}.")
    audit = session.scalars(select(AuditEntry.details).where(
        AuditEntry.entity_id == str(built.campaign_id), AuditEntry.action == "campaign.winner_decided")).all()
    assert len(audit) == 1 and audit[0]["variant_id"] == b
    after = campaign_progress(session, workspace_id=ws, campaign_id=built.campaign_id).winner
    assert after is not None and after.variant_name == "B" and after.summary == decision["summary"]


def test_without_a_significant_difference_the_fallback_sends_the_first_variant(
        session: Session, smtp_sink: Sink, small_batches: None) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 400)
    built = winner_campaign(session, ws, holdout="0", test_percent=50)
    a, b = built.variant_ids
    t0 = utcnow()
    assert launch(session, ws, built, t0).winner_rest == 200
    with engine_running():
        wait_until(lambda: all_sent(session, built.campaign_id), "the test share to be sent")
        clicks_per_variant(session, built, t0, (0.20, 0.22))  # B ahead, but not significantly
        quiet_loop().tick(now=t0 + WAIT)
        wait_until(lambda: campaign_of(session, built.campaign_id).status == CampaignStatus.COMPLETED,
                   "the campaign to complete")
    rows = deliveries(session, built.campaign_id)
    assert Counter(r.variant_id for r in rows) == {a: 100 + 200, b: 100}
    assert len(smtp_sink.handler.per_recipient) == 400 and set(smtp_sink.handler.per_recipient.values()) == {1}
    campaign = campaign_of(session, built.campaign_id)
    assert campaign.winner_variant_id == a and campaign.winner_decision is not None
    entry = campaign.winner_decision["messages"][0]
    assert (entry["reason"], entry["fallback"], entry["variant_name"]) == ("not_significant", "first", "A")
    assert campaign.winner_decision["summary"].startswith(
        "No significant winner: no variant's click rate is significantly better (p = ")
    assert campaign.winner_decision["summary"].endswith("; the first variant, A, sent to the remaining 200.")


def test_fallback_none_sends_nothing_more_and_completes(session: Session, smtp_sink: Sink,
                                                         small_batches: None) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 300)
    built = winner_campaign(session, ws, fallback="none", holdout="0")
    t0 = utcnow()
    assert launch(session, ws, built, t0).deliveries == 60
    with engine_running():
        wait_until(lambda: all_sent(session, built.campaign_id), "the test share to be sent")
        time.sleep(0.3)
        assert campaign_of(session, built.campaign_id).status == CampaignStatus.RUNNING
        quiet_loop().tick(now=t0 + WAIT)  # no clicks at all: nothing to tell the variants apart
        wait_until(lambda: campaign_of(session, built.campaign_id).status == CampaignStatus.COMPLETED,
                   "the campaign to complete")
    campaign = campaign_of(session, built.campaign_id)
    assert len(deliveries(session, built.campaign_id)) == 60 and len(smtp_sink.handler.per_recipient) == 60
    assert campaign.winner_variant_id is None and campaign.winner_decision is not None
    assert campaign.winner_decision["rest"] == 0 and campaign.winner_decision["messages"][0]["rest"] == 240
    assert campaign.winner_decision["summary"].endswith("the remaining 240 get nothing (fallback: none).")


def test_two_hosts_deciding_at_once_make_one_decision(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 500)
    built = winner_campaign(session, ws, holdout="0")
    t0 = utcnow() - WAIT - timedelta(minutes=5)
    launch(session, ws, built, t0)
    session.execute(update(Delivery).where(Delivery.campaign_id == built.campaign_id).values(
        status=DeliveryStatus.SENT, sent_at=t0 + timedelta(minutes=1)))
    session.commit()
    clicks_per_variant(session, built, t0, (0.05, 0.50))
    # Both hosts analyse before either claims the decision: the compare-and-set alone must keep it single.
    both_analysed = threading.Barrier(2, timeout=20)
    real = winner_module.analysis.analyse_campaign

    def analyse_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        both_analysed.wait()
        return found

    monkeypatch.setattr(winner_module.analysis, "analyse_campaign", analyse_then_wait)
    decided: list[list[int]] = []
    errors: list[BaseException] = []

    def host() -> None:
        try:
            decided.append(winner_module.decide_due_winners(get_session_factory(), now=utcnow()))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=host) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and sorted(len(d) for d in decided) == [0, 1]
    rows = deliveries(session, built.campaign_id)
    assert len(rows) == 500 and len({r.contact_id for r in rows}) == 500
    assert Counter(r.variant_id for r in rows)[built.variant_ids[1]] == 50 + 400
    audit = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_id == str(built.campaign_id), AuditEntry.action == "campaign.winner_decided"))
    assert audit == 1


def test_a_paused_campaign_waits_and_a_cancelled_one_is_never_decided(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 100)
    paused, cancelled = winner_campaign(session, ws), winner_campaign(session, ws)
    t0 = utcnow()
    for built in (paused, cancelled):
        launch(session, ws, built, t0)
    control.pause_campaign(session, workspace_id=ws, campaign_id=paused.campaign_id, actor=ACTOR)
    control.cancel_campaign(session, workspace_id=ws, campaign_id=cancelled.campaign_id, actor=ACTOR)
    session.commit()
    later = t0 + WAIT + timedelta(minutes=1)
    assert winner_module.decide_due_winners(get_session_factory(), now=later) == []
    progress = campaign_progress(session, workspace_id=ws, campaign_id=paused.campaign_id, now=later).winner
    assert progress is not None and "picked when the campaign is resumed" in progress.summary
    control.resume_campaign(session, workspace_id=ws, campaign_id=paused.campaign_id, actor=ACTOR)
    session.commit()
    assert winner_module.decide_due_winners(get_session_factory(), now=later) == [paused.campaign_id]
    assert campaign_of(session, cancelled.campaign_id).winner_decided_at is None
    # Nothing was sent: no data, so the fallback (the first variant) goes to the rest.
    decision = campaign_of(session, paused.campaign_id).winner_decision
    assert decision is not None and decision["messages"][0]["reason"] == "no_data"
    assert campaign_of(session, paused.campaign_id).winner_variant_id == paused.variant_ids[0]


def test_a_marketer_picks_the_winner_early(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 200)
    built = winner_campaign(session, ws, holdout="0")
    plain = make_campaign(session, ws, splits=(50, 50))
    t0 = utcnow()
    launch(session, ws, built, t0)
    launch(session, ws, plain, t0)
    with pytest.raises(Conflict, match="no automatic winner"):
        winner_module.pick_winner_now(session, workspace_id=ws, campaign_id=plain.campaign_id, actor=ACTOR)
    with pytest.raises(InvalidInput, match="not one of this campaign's variants"):
        winner_module.pick_winner_now(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR,
                                      variant_id=plain.variant_ids[1])
    session.rollback()
    b = built.variant_ids[1]
    campaign = winner_module.pick_winner_now(session, workspace_id=ws, campaign_id=built.campaign_id,
                                             actor="ann@example.com", variant_id=b, now=t0 + timedelta(minutes=5))
    session.commit()
    assert campaign.winner_variant_id == b and campaign.winner_decision is not None
    assert campaign.winner_decision["summary"] == "Winner: B, picked by hand, sent to the remaining 160."
    assert campaign.winner_decision["decided_by"] == "ann@example.com"
    assert Counter(r.variant_id for r in deliveries(session, built.campaign_id))[b] == 20 + 160
    with pytest.raises(Conflict, match="decided already"):
        winner_module.pick_winner_now(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    # The engine's later round finds nothing left to decide.
    assert winner_module.decide_due_winners(get_session_factory(), now=t0 + WAIT) == []


def test_one_campaign_failing_to_decide_does_not_hold_up_the_others(session: Session,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 50)
    broken, fine = winner_campaign(session, ws), winner_campaign(session, ws)
    t0 = utcnow()
    for built in (broken, fine):
        launch(session, ws, built, t0)
    real = winner_module.analysis.analyse_campaign

    def analyse(*args: Any, **kwargs: Any) -> Any:
        if kwargs["campaign_id"] == broken.campaign_id:
            raise RuntimeError("a bug in the analysis")
        return real(*args, **kwargs)

    monkeypatch.setattr(winner_module.analysis, "analyse_campaign", analyse)
    assert winner_module.decide_due_winners(get_session_factory(), now=t0 + WAIT) == [fine.campaign_id]
    assert campaign_of(session, broken.campaign_id).winner_decided_at is None  # tried again next round


def test_a_universal_holdout_started_during_the_test_is_left_out_of_the_rest(session: Session) -> None:
    from kempen.delivery.winner_rest import campaign_recipients

    ws = new_workspace(session)
    contacts = add_contacts(session, ws, 400)
    built = winner_campaign(session, ws, holdout="0")
    t0 = utcnow() - timedelta(hours=3)
    launch(session, ws, built, t0)
    campaign = campaign_of(session, built.campaign_id)
    before = set(campaign_recipients(session, campaign, t0 + timedelta(minutes=30)).tolist())
    assert before == set(contacts)  # no universal holdout yet
    universal = universal_holdout(session, ws, contacts, utcnow())  # starts a minute before now, after launch
    after = set(campaign_recipients(session, campaign, utcnow()).tolist())
    assert universal and after == set(contacts) - universal
