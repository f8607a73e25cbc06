"""Sufficient statistics per variant on the hand-built campaign of conftest.py, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from kempen.experiments.variant_stats import VariantStats, Window, variant_stats
from kempen.models import DeliveryStatus
from tests.conftest import Tenant
from tests.experiments.conftest import DAY, HOUR, LAUNCH, Trial, add_delivery, build_trial

WINDOW = Window(since=LAUNCH, until=LAUNCH + 7 * DAY)


def _stats(session: Session, trial: Trial, window: Window = WINDOW, exclude_machine: bool = True,
           ) -> dict[str, VariantStats]:
    found = variant_stats(session, workspace_id=trial.workspace_id, campaign_id=trial.campaign_id, window=window,
                          currency="EUR", exclude_machine=exclude_machine)
    names = {(trial.messages["Text" if name == "S" else "Mail"], vid): name for name, vid in trial.variants.items()}
    return {names[key]: value for key, value in found.items()}


def test_counts_and_revenue_per_variant(session: Session, trial: Trial) -> None:
    found = _stats(session, trial)
    # A: a2's only open is a machine's; a1 bought 100 and converted for 20 more; a3's order is pending.
    assert found["A"] == VariantStats(recipients=4, openers=2, clickers=1, converters=1, revenue=120.0,
                                      revenue_squares=120.0**2)
    # B: b1 clicked (a click counts as an open); b2's click was a scanner's; b3 clicked and bought after the
    # window; b2's USD order converts without revenue; b4 bought before launch; b5 failed.
    assert found["B"] == VariantStats(recipients=4, openers=2, clickers=1, converters=2, revenue=100.0,
                                      revenue_squares=100.0**2)
    # The SMS message has its own row; a1 and b1's conversions count there as well.
    assert found["S"] == VariantStats(recipients=2, openers=1, clickers=1, converters=2, revenue=220.0,
                                      revenue_squares=120.0**2 + 100.0**2)


def test_machine_events_count_when_the_workspace_keeps_them(session: Session, trial: Trial) -> None:
    found = _stats(session, trial, exclude_machine=False)
    assert (found["A"].openers, found["A"].clickers) == (3, 1)
    assert (found["B"].openers, found["B"].clickers) == (2, 2)


def test_until_cuts_events_and_conversions(session: Session, trial: Trial) -> None:
    found = _stats(session, trial, Window(since=LAUNCH, until=LAUNCH + 90 * timedelta(minutes=1)))
    assert (found["A"].openers, found["A"].clickers, found["A"].converters) == (1, 0, 0)
    assert (found["B"].openers, found["B"].clickers, found["B"].converters, found["B"].revenue) == (1, 1, 0, 0.0)
    # A day and a half in: a1's and b1's first orders and b2's USD order, not yet b1's second.
    found = _stats(session, trial, Window(since=LAUNCH, until=LAUNCH + 36 * HOUR))
    assert (found["A"].converters, found["A"].revenue) == (1, 100.0)
    assert (found["B"].converters, found["B"].revenue) == (2, 40.0)


def test_sent_before_leaves_later_sends_out(session: Session, trial: Trial) -> None:
    add_delivery(session, trial, "late", "B", sent_at=LAUNCH + 5 * HOUR)
    add_delivery(session, trial, "timeless", "B", sent_at=None)
    session.commit()
    assert _stats(session, trial)["B"].recipients == 6
    found = _stats(session, trial, Window(since=LAUNCH, until=LAUNCH + 7 * DAY, sent_before=LAUNCH + HOUR))
    assert found["B"].recipients == 5  # "late" went after the decision; "timeless" has no send time


def test_other_workspaces_and_statuses_stay_out(session: Session, tenant: Tenant, other_tenant: Tenant,
                                                trial: Trial) -> None:
    build_trial(session, other_tenant.id)
    add_delivery(session, trial, "pending", "A", status=DeliveryStatus.PENDING)
    add_delivery(session, trial, "cancelled", "A", status=DeliveryStatus.CANCELLED)
    session.commit()
    assert _stats(session, trial)["A"].recipients == 4
