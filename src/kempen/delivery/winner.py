"""The automatic winner: at `winner_decide_at`, pick each tested message's winner and send it to the rest.

```
 launch ──▶ test share sending ──(decide_at, running)──▶ decided ──▶ rest sending ──▶ completed
              │ paused at decide_at: waits until resumed        │ fallback "none": nothing more;
              │ cancelled: never decided                        │ completes when the test is done
              └── "Pick winner now" (a marketer) decides early, optionally naming the variant
```

Launch sends each message's variants to `winner_test_percent` % of the recipients and sets
`winner_decide_at`; `complete_if_done` leaves the campaign running until the winner is decided. The
engine loop calls `decide_due_winners` on every host: each analyses the campaign, then claims the
decision with a compare-and-set on `winner_decided_at`, so exactly one host records it and writes
the rest's deliveries, in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kempen.audit import service as audit
from kempen.campaigns.lifecycle import label
from kempen.campaigns.repository import messages_of, variants_by_message
from kempen.campaigns.service import get_campaign_or_raise
from kempen.config import get_settings
from kempen.delivery.control import ENGINE_ACTOR, complete_if_done
from kempen.delivery.winner_choice import Choice, Reason, choose, decision_entry
from kempen.delivery.winner_rest import materialise_rest
from kempen.experiments import analysis
from kempen.experiments.schemas import Metric, WinnerFallback
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput, KempenError
from kempen.models import Campaign, CampaignStatus

logger = logging.getLogger("kempen.delivery.winner")
DECIDED = "campaign.winner_decided"
# A person may decide early while the test sends or is paused; the engine only decides running campaigns.
_MANUAL_STATUSES = (CampaignStatus.RUNNING, CampaignStatus.PAUSED)


def due_winners(session: Session, *, now: datetime, limit: int = 20) -> list[tuple[int, int]]:
    """(workspace id, campaign id) of running campaigns whose winner is due and undecided, earliest first."""
    stmt = (select(Campaign.workspace_id, Campaign.id)
            .where(Campaign.status == CampaignStatus.RUNNING, Campaign.winner_decide_at <= now,
                   Campaign.winner_decided_at.is_(None), Campaign.winner_metric.is_not(None))
            .order_by(Campaign.winner_decide_at, Campaign.id).limit(limit))
    return [(row[0], row[1]) for row in session.execute(stmt)]


def decide_due_winners(factory: sessionmaker[Session], *, now: datetime | None = None) -> list[int]:
    """Decide every due automatic winner (one transaction each); return the campaigns this call decided."""
    now = now or utcnow()
    with factory() as session:
        due = due_winners(session, now=now)
    decided = []
    for workspace_id, campaign_id in due:
        try:
            with factory() as session, session.begin():
                if decide_winner(session, workspace_id=workspace_id, campaign_id=campaign_id, actor=ENGINE_ACTOR,
                                 now=now) is not None:
                    decided.append(campaign_id)
        except KempenError as exc:  # it moved meanwhile (cancelled, deleted): nothing to decide
            logger.info("winner of campaign %s not decided: %s", campaign_id, exc.detail)
        except Exception:  # one campaign's failure (a bug, a lost connection) must not hold up the others
            logger.exception("winner of campaign %s could not be decided; retried next round", campaign_id)
    return decided


def pick_winner_now(session: Session, *, workspace_id: int, campaign_id: int, actor: str,
                    variant_id: int | None = None, now: datetime | None = None) -> Campaign:
    """Decide a running or paused campaign's winner now, by the usual rule or as `variant_id` (its message)."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if not campaign.winner_metric:
        raise Conflict("This campaign has no automatic winner: every recipient got a variant at launch.")
    if campaign.winner_decided_at is not None:
        raise Conflict(f"The winner was decided already, on {campaign.winner_decided_at:%Y-%m-%d %H:%M} UTC.")
    if campaign.status not in _MANUAL_STATUSES:
        raise Conflict(f"The campaign is {label(campaign.status)}: a winner is picked only while it is running "
                       "or paused.")
    decided = decide_winner(session, workspace_id=workspace_id, campaign_id=campaign_id, actor=actor,
                            now=now or utcnow(), picked_variant_id=variant_id, statuses=_MANUAL_STATUSES)
    if decided is None:
        raise Conflict("The winner was decided meanwhile; reload the campaign to see it.")
    return decided


def decide_winner(session: Session, *, workspace_id: int, campaign_id: int, actor: str, now: datetime,
                  picked_variant_id: int | None = None,
                  statuses: tuple[CampaignStatus, ...] = (CampaignStatus.RUNNING,)) -> Campaign | None:
    """Analyse, claim the decision, record it and write the rest's deliveries; None if it was not ours to make."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if not campaign.winner_metric or campaign.winner_decided_at is not None:
        return None
    metric = Metric(campaign.winner_metric)
    choices = _choices(session, campaign, metric, now, picked_variant_id)
    if not _claim(session, campaign, now, statuses):
        return None
    rest = materialise_rest(session, campaign, choices, batch_size=get_settings().batch_size, now=now)
    decision = _decision(choices, metric, rest, actor=actor, now=now, picked=picked_variant_id is not None)
    campaign.winner_decision = decision
    campaign.winner_variant_id = _headline_variant(choices)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action=DECIDED, entity_type="campaign",
                 entity_id=campaign_id, details={"metric": metric.value, "variant_id": campaign.winner_variant_id,
                                                 "rest": decision["rest"], "summary": decision["summary"]})
    complete_if_done(session, workspace_id=workspace_id, campaign_id=campaign_id, now=now)
    session.refresh(campaign)
    logger.info("campaign %s: %s", campaign_id, decision["summary"])
    return campaign


def _headline_variant(choices: list[Choice]) -> int | None:
    """The winner of the first message that was tested (None when its rest gets nothing)."""
    tested = [c for c in choices if c.reason != Reason.ONLY_VARIANT] or choices
    return tested[0].variant.id if tested and tested[0].variant is not None else None


def _choices(session: Session, campaign: Campaign, metric: Metric, now: datetime,
             picked_variant_id: int | None) -> list[Choice]:
    workspace_id = campaign.workspace_id
    messages = messages_of(session, workspace_id=workspace_id, campaign_id=campaign.id)
    variants = variants_by_message(session, workspace_id=workspace_id, campaign_id=campaign.id)
    if picked_variant_id is not None and not any(v.id == picked_variant_id for vs in variants.values() for v in vs):
        raise InvalidInput(f"Variant {picked_variant_id} is not one of this campaign's variants.",
                           errors=[{"field": "variant_id", "message": "not a variant of this campaign"}])
    analyses = {a.message_id: a for a in analysis.analyse_campaign(
        session, workspace_id=workspace_id, campaign_id=campaign.id, metric=metric, until=now)}
    fallback = WinnerFallback(campaign.winner_fallback)
    return [choose(m, variants.get(m.id, []), analyses.get(m.id), fallback, picked_variant_id=picked_variant_id)
            for m in messages if variants.get(m.id)]


def _claim(session: Session, campaign: Campaign, now: datetime, statuses: tuple[CampaignStatus, ...]) -> bool:
    """Compare-and-set: mark the winner decided unless another host (or person) did, or the status moved."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.workspace_id == campaign.workspace_id, Campaign.id == campaign.id,
               Campaign.winner_decided_at.is_(None), Campaign.status.in_(statuses))
        .values(winner_decided_at=now, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(campaign)
    return True


def _decision(choices: list[Choice], metric: Metric, rest: dict[int, int], *, actor: str, now: datetime,
              picked: bool) -> dict[str, Any]:
    entries = [decision_entry(c, metric, rest.get(c.message.id, 0)) for c in choices]
    tested = [e for e in entries if e["reason"] != Reason.ONLY_VARIANT] or entries
    if len(tested) == 1:
        summary = tested[0]["summary"]
    else:
        summary = " ".join(f"{e['message_name']}: {e['summary']}" for e in tested)
    return {"metric": metric.value, "decided_at": now.isoformat(), "decided_by": actor, "picked": picked,
            "messages": entries, "rest": sum(e["rest"] for e in entries if e["variant_id"] is not None),
            "summary": summary}
