"""The universal holdout's settings (state machine, refusals, audit) and where it applies: launch, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.delivery.audience import holdout_size
from kempen.delivery.control import launch_campaign
from kempen.experiments import universal_holdout as uh
from kempen.experiments.universal_holdout import HoldoutState, UniversalHoldoutSet
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import AuditEntry, CampaignHoldoutMember, Delivery
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace, parked  # noqa: F401

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def ws(session: Session) -> int:
    return new_workspace(session)


@pytest.fixture
def other_ws(session: Session) -> int:
    return new_workspace(session)


def _set(**fields: object) -> UniversalHoldoutSet:
    return UniversalHoldoutSet.model_validate(fields)


def _actions(session: Session, workspace_id: int) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.workspace_id == workspace_id, AuditEntry.entity_type == "workspace_universal_holdout")
        .order_by(AuditEntry.id)))


def test_defaults_when_never_enabled(session: Session, ws: int) -> None:
    row = uh.get_universal_holdout(session, workspace_id=ws)
    assert (row.enabled, row.percent, row.starts_at, row.seed) == (False, Decimal("5"), None, 0)
    assert uh.holdout_state(row, T0) is HoldoutState.OFF
    mask = uh.held_out_mask(session, workspace_id=ws, contact_ids=np.arange(1, 100, dtype=np.int64), at=T0)
    assert not mask.any() and mask.shape == (99,)


def test_enable_change_end_and_enable_again(session: Session, ws: int) -> None:
    row = uh.enable_universal_holdout(session, workspace_id=ws, actor="user:1",
                                      data=_set(percent="10", ends_at=T0 + 90 * DAY), now=T0)
    first_seed = row.seed
    assert (row.enabled, row.percent, row.starts_at, row.ends_at) == (True, Decimal("10"), T0, T0 + 90 * DAY)
    assert first_seed > 0 and row.updated_by == "user:1"
    assert uh.holdout_state(row, T0 + DAY) is HoldoutState.RUNNING
    with pytest.raises(Conflict, match="already running"):
        uh.enable_universal_holdout(session, workspace_id=ws, actor="a", data=_set(percent="5"), now=T0 + DAY)
    with pytest.raises(Conflict, match="share cannot change"):
        uh.change_universal_holdout(session, workspace_id=ws, actor="a", data=_set(percent="5"), now=T0 + DAY)
    with pytest.raises(Conflict, match="seed cannot change"):
        uh.set_universal_holdout(session, workspace_id=ws, actor="a", data=_set(seed=first_seed + 1), now=T0 + DAY)
    with pytest.raises(Conflict, match="start cannot move"):
        uh.change_universal_holdout(session, workspace_id=ws, actor="a", data=_set(starts_at=T0 + 2 * DAY),
                                    now=T0 + DAY)
    # The same percent and seed again is no change; the end may move (and opens with null).
    uh.set_universal_holdout(session, workspace_id=ws, actor="a",
                             data=_set(percent="10.00", seed=first_seed, ends_at=T0 + 120 * DAY), now=T0 + DAY)
    assert row.ends_at == T0 + 120 * DAY
    uh.change_universal_holdout(session, workspace_id=ws, actor="a", data=_set(ends_at=None), now=T0 + DAY)
    assert row.ends_at is None
    with pytest.raises(InvalidInput, match="in the future"):
        uh.change_universal_holdout(session, workspace_id=ws, actor="a", data=_set(ends_at=T0 + DAY), now=T0 + 2 * DAY)
    ended = uh.end_universal_holdout(session, workspace_id=ws, actor="a", now=T0 + 30 * DAY)
    assert ended.ends_at == T0 + 30 * DAY and uh.holdout_state(ended, T0 + 30 * DAY) is HoldoutState.ENDED
    with pytest.raises(Conflict, match="nothing to end"):
        uh.end_universal_holdout(session, workspace_id=ws, actor="a", now=T0 + 31 * DAY)
    with pytest.raises(Conflict, match="enable it"):
        uh.change_universal_holdout(session, workspace_id=ws, actor="a", data=_set(ends_at=None), now=T0 + 31 * DAY)
    again = uh.set_universal_holdout(session, workspace_id=ws, actor="a", data=_set(), now=T0 + 40 * DAY)
    assert again.seed not in (0, first_seed) and again.percent == Decimal("10") and again.starts_at == T0 + 40 * DAY
    assert again.ends_at is None
    assert _actions(session, ws) == ["universal_holdout.enabled", "universal_holdout.changed",
                                     "universal_holdout.changed", "universal_holdout.ended",
                                     "universal_holdout.enabled"]


def test_scheduled_holdout_can_change_and_be_cancelled(session: Session, ws: int) -> None:
    row = uh.enable_universal_holdout(session, workspace_id=ws, actor="a",
                                      data=_set(starts_at=T0 + 7 * DAY, seed=77), now=T0)
    assert uh.holdout_state(row, T0) is HoldoutState.SCHEDULED and row.seed == 77
    uh.change_universal_holdout(session, workspace_id=ws, actor="a", data=_set(percent="2.5", seed=78), now=T0)
    assert (row.percent, row.seed) == (Decimal("2.5"), 78)
    ids = np.arange(1, 10_000, dtype=np.int64)
    assert not uh.held_out_mask(session, workspace_id=ws, contact_ids=ids, at=T0 + DAY).any()  # not started
    assert uh.held_out_mask(session, workspace_id=ws, contact_ids=ids, at=T0 + 8 * DAY).any()
    uh.end_universal_holdout(session, workspace_id=ws, actor="a", now=T0 + DAY)
    assert uh.holdout_state(row, T0 + 8 * DAY) is HoldoutState.OFF
    assert _actions(session, ws)[-1] == "universal_holdout.cancelled"


def test_bad_settings_are_refused(session: Session, ws: int) -> None:
    for bad in ({"percent": "0.5"}, {"percent": "25"}, {"percent": "5.123"}, {"seed": -1}, {"colour": "red"}):
        with pytest.raises(ValidationError):
            _set(**bad)
    with pytest.raises(InvalidInput, match="past"):
        uh.enable_universal_holdout(session, workspace_id=ws, actor="a", data=_set(starts_at=T0 - DAY), now=T0)
    with pytest.raises(InvalidInput, match="after the start"):
        uh.enable_universal_holdout(session, workspace_id=ws, actor="a",
                                    data=_set(starts_at=T0 + 5 * DAY, ends_at=T0 + 2 * DAY), now=T0)
    # A start a minute ago (a form filled in slowly) means now.
    row = uh.enable_universal_holdout(session, workspace_id=ws, actor="a",
                                      data=_set(starts_at=T0 - timedelta(minutes=1)), now=T0)
    assert row.starts_at == T0


def test_mask_follows_the_period_and_the_pure_function(session: Session, ws: int, other_ws: int) -> None:
    uh.enable_universal_holdout(session, workspace_id=ws, actor="a",
                                data=_set(percent="20", seed=5, ends_at=T0 + 10 * DAY), now=T0)
    ids = np.arange(1, 5_001, dtype=np.int64)
    during = uh.held_out_mask(session, workspace_id=ws, contact_ids=ids, at=T0 + DAY)
    assert np.array_equal(during, uh.in_holdout(5, Decimal("20"), ids)) and 800 < during.sum() < 1200
    assert not uh.held_out_mask(session, workspace_id=ws, contact_ids=ids, at=T0 - DAY).any()
    assert not uh.held_out_mask(session, workspace_id=ws, contact_ids=ids, at=T0 + 10 * DAY).any()
    assert not uh.held_out_mask(session, workspace_id=other_ws, contact_ids=ids, at=T0 + DAY).any()


@pytest.mark.usefixtures("parked")
def test_launch_leaves_the_universal_holdout_out(session: Session) -> None:
    ws = new_workspace(session)
    ids = np.array(add_contacts(session, ws, 400), dtype=np.int64)
    built = make_campaign(session, ws, holdout="10")
    now = datetime.now(UTC)
    uh.enable_universal_holdout(session, workspace_id=ws, actor="a", data=_set(percent="20"), now=now)
    session.commit()
    held = set(ids[uh.in_holdout(uh.get_universal_holdout(session, workspace_id=ws).seed, Decimal("20"), ids)]
               .tolist())
    result = launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR,
                             now=now + timedelta(seconds=1))
    session.commit()
    reached = set(session.scalars(select(Delivery.contact_id).where(Delivery.campaign_id == built.campaign_id)))
    holdout = set(session.scalars(select(CampaignHoldoutMember.contact_id).where(
        CampaignHoldoutMember.campaign_id == built.campaign_id)))
    assert held and not (held & reached) and not (held & holdout)
    assert reached | holdout | held == set(ids.tolist())
    assert len(holdout) == holdout_size(400 - len(held), Decimal("10"))  # drawn from the rest
    entry = session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == ws,
                                                     AuditEntry.action == "campaign.launched")).one()
    assert entry.details["universal_holdout"] == len(held) and result.audience == 400
