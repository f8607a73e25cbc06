"""A campaign's status: the moves it may make, who may make them, and edits that withdraw an approval.

```
 draft ──submit──▶ in_review ──approve──▶ approved ──schedule──▶ scheduled
   ▲                 │  ▲                   │  ▲                     │
   └─request changes─┘  │                   │  └────unschedule───────┤
                        │                   │ launch                 │ at the start time
                        │                   ▼                        │
                        │                running ◀───────────────────┘
                        │                 │  ▲
                        │           pause ▼  │ resume
                        │                paused
                        └── an edit of the content, audience or budget of an approved or
                            scheduled campaign (to draft instead if it is no longer ready)
 running ──nothing left to send──▶ completed ──archive──▶ archived
 cancel: anything before completed ──▶ cancelled ──archive──▶ archived
 without require_approval, a draft may also be approved, scheduled or launched directly,
 and an edit of an approved or scheduled campaign sends it back to draft
```

`ALLOWED_TRANSITIONS` (models/campaigns.py) is the whole table of moves people ask for. When the
workspace requires approval, a draft may not go straight to approved, scheduled or running. Moving out
of editing toward review or launch needs the campaign to be ready (`readiness_problems`). Every move is
a compare-and-set on the status, so two people (or the scheduler and a person) acting at once cannot
both succeed.

An edit withdraws an approval (`begin_edit`, the one way it happens). Where approval is required the
campaign goes back to review, off the schedule; when the unit of work commits, a campaign the edit left
unready goes on to draft (the reviewer could not approve it anyway), and one still ready is handed to
the `on_back_in_review` listeners (teamwork notifies the reviewers, as on submit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session, SessionTransaction

from kempen.audit import service as audit
from kempen.audit.service import list_for_entity
from kempen.campaigns.readiness import objective_problems, readiness_problems
from kempen.campaigns.repository import get_campaign_or_raise
from kempen.campaigns.settings import get_send_settings
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict
from kempen.models import ALLOWED_TRANSITIONS, EDITABLE_STATUSES, Campaign, CampaignStatus

S = CampaignStatus
# Moves that put a campaign in front of a reviewer or its audience need a ready campaign.
_FORWARD = frozenset({S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.RUNNING})
# Moves that skip review, refused from a draft when the workspace requires approval.
_NEEDS_APPROVAL = frozenset({S.APPROVED, S.SCHEDULED, S.RUNNING})
# Edits withdraw an approval: the reviewer approved other content.
_WITHDRAWN_BY_EDIT = frozenset({S.APPROVED, S.SCHEDULED})
STATUS_CHANGED = "campaign.status_changed"


def label(status: CampaignStatus) -> str:
    return status.value.replace("_", " ")


def _refusal(current: CampaignStatus, to: CampaignStatus) -> str:
    allowed = ", ".join(sorted(label(s) for s in ALLOWED_TRANSITIONS[current])) or "nothing (it is final)"
    return f"A campaign that is {label(current)} cannot become {label(to)}; it can become: {allowed}."


def _check_move(session: Session, campaign: Campaign, to: CampaignStatus) -> None:
    current = campaign.status
    if to == current:
        raise Conflict(f"The campaign is already {label(current)}.")
    if to not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(_refusal(current, to))
    require_approval = to in _FORWARD and get_send_settings(
        session, workspace_id=campaign.workspace_id).require_approval
    if current == S.DRAFT and to in _NEEDS_APPROVAL and require_approval:
        raise Conflict("This workspace requires approval: submit the campaign for review and have an admin "
                       "approve it first.")
    if current in EDITABLE_STATUSES and to in _FORWARD:
        problems = readiness_problems(session, workspace_id=campaign.workspace_id, campaign_id=campaign.id)
        if to == S.IN_REVIEW and not require_approval:  # (with approval required, readiness asks for one)
            problems += objective_problems(session, workspace_id=campaign.workspace_id, campaign_id=campaign.id)
        if problems:
            raise Conflict(f"The campaign is not ready: {' '.join(problems)}",
                           errors=[{"message": problem} for problem in problems])


def _new_values(campaign: Campaign, to: CampaignStatus) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {"status": to, "updated_at": now}
    if to in (S.DRAFT, S.APPROVED):
        values["scheduled_at"] = None
    if to == S.RUNNING and campaign.launched_at is None:
        values["launched_at"] = now
    if to in (S.COMPLETED, S.CANCELLED) and campaign.finished_at is None:
        values["finished_at"] = now
    return values


def _compare_and_set(session: Session, campaign: Campaign, expected: CampaignStatus, values: dict[str, Any]) -> None:
    """Write `values` only if the status is still `expected`; Conflict if someone moved it meanwhile."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.workspace_id == campaign.workspace_id, Campaign.id == campaign.id, Campaign.status == expected)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(campaign)
        raise Conflict(f"The campaign changed meanwhile (it is now {label(campaign.status)}); reload it and "
                       "try again.")
    session.refresh(campaign)


def transition(session: Session, *, workspace_id: int, campaign_id: int, to: CampaignStatus, actor: str,
               comment: str | None = None, reason: str | None = None) -> Campaign:
    """Move a campaign to `to` if the table, the approval rule and readiness allow it; audit the move."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    current = campaign.status
    _check_move(session, campaign, to)
    _compare_and_set(session, campaign, current, _new_values(campaign, to))
    details: dict[str, Any] = {"from": current.value, "to": to.value}
    details.update({k: v for k, v in (("comment", comment), ("reason", reason)) if v})
    audit.record(session, workspace_id=workspace_id, actor=actor, action=STATUS_CHANGED, entity_type="campaign",
                 entity_id=campaign_id, details=details)
    return campaign


def not_editable(status: CampaignStatus) -> Conflict:
    return Conflict(f"The campaign is {label(status)}: its content, audience and sending options can change "
                    "only before launch (draft, in review, approved or scheduled). Duplicate it to send a "
                    "changed version.")


def begin_edit(session: Session, campaign: Campaign, *, actor: str, what: str) -> None:
    """Claim the campaign for an edit of its content, audience or budget; withdraw an approval it had.

    The claim is a compare-and-set on the status, so an edit and a launch at the same moment cannot both win.
    An approved or scheduled campaign goes back to review where approval is required (else to draft), off
    the schedule; whether it is still ready is settled when the unit of work commits (`_settle_withdrawals`),
    because the edit itself comes after this claim.
    """
    current = campaign.status
    if current not in EDITABLE_STATUSES:
        raise not_editable(current)
    values: dict[str, Any] = {"updated_at": utcnow()}
    withdrawn_to = _withdrawn_to(session, campaign) if current in _WITHDRAWN_BY_EDIT else None
    if withdrawn_to is not None:
        values.update(status=withdrawn_to, scheduled_at=None)
    _compare_and_set(session, campaign, current, values)
    if withdrawn_to is None:
        return
    again = "approving again" if withdrawn_to == S.DRAFT else "a reviewer's approval again"
    audit.record(session, workspace_id=campaign.workspace_id, actor=actor, action=STATUS_CHANGED,
                 entity_type="campaign", entity_id=campaign.id,
                 details={"from": current.value, "to": withdrawn_to.value,
                          "reason": f"{what} edited; the campaign needs {again} (and scheduling)"})
    if withdrawn_to == S.IN_REVIEW:
        session.info.setdefault(_WITHDRAWN_KEY, {})[campaign.id] = _Withdrawal(campaign.workspace_id, actor, what)


def _withdrawn_to(session: Session, campaign: Campaign) -> CampaignStatus:
    # Without required approval, review is optional and a draft may be scheduled directly again.
    require_approval = get_send_settings(session, workspace_id=campaign.workspace_id).require_approval
    return S.IN_REVIEW if require_approval else S.DRAFT


@dataclass(frozen=True)
class _Withdrawal:
    workspace_id: int
    actor: str
    what: str


BackInReviewListener = Callable[[Session, Campaign, str, str], None]
_back_in_review_listeners: list[BackInReviewListener] = []
_WITHDRAWN_KEY = "kempen.campaigns.withdrawn_to_review"


def on_back_in_review(listener: BackInReviewListener) -> BackInReviewListener:
    """Call `listener(session, campaign, actor, what)` when an edit has sent a ready campaign back to review."""
    if listener not in _back_in_review_listeners:
        _back_in_review_listeners.append(listener)
    return listener


@event.listens_for(Session, "before_commit")
def _settle_withdrawals(session: Session) -> None:
    """Send an edited campaign on to draft if the edit left it unready; otherwise tell the listeners."""
    pending: dict[int, _Withdrawal] = session.info.pop(_WITHDRAWN_KEY, {})
    for campaign_id, withdrawal in pending.items():
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.workspace_id != withdrawal.workspace_id or campaign.status != S.IN_REVIEW:
            continue  # deleted, or moved on by a later step of the same unit of work
        problems = readiness_problems(session, workspace_id=withdrawal.workspace_id, campaign_id=campaign_id)
        if problems:
            try:
                _compare_and_set(session, campaign, S.IN_REVIEW, {"status": S.DRAFT, "updated_at": utcnow()})
            except Conflict:
                continue  # moved by someone else meanwhile: their move stands
            audit.record(session, workspace_id=withdrawal.workspace_id, actor=withdrawal.actor,
                         action=STATUS_CHANGED, entity_type="campaign", entity_id=campaign_id,
                         details={"from": S.IN_REVIEW.value, "to": S.DRAFT.value,
                                  "reason": f"{withdrawal.what} edited and the campaign is no longer ready: "
                                            + " ".join(problems)})
            continue
        for listener in _back_in_review_listeners:
            listener(session, campaign, withdrawal.actor, withdrawal.what)


@event.listens_for(Session, "after_soft_rollback")
def _forget_withdrawals(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:  # a rolled-back savepoint leaves the outer edits standing
        session.info.pop(_WITHDRAWN_KEY, None)


# The named steps of the review workflow (launch, pause, resume, cancel and schedule are the engine's).

def submit_for_review(session: Session, *, workspace_id: int, campaign_id: int, actor: str) -> Campaign:
    """Ask for approval; the campaign must be ready."""
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=S.IN_REVIEW, actor=actor)


def approve(session: Session, *, workspace_id: int, campaign_id: int, actor: str,
            comment: str | None = None) -> Campaign:
    """Approve a campaign in review (the caller checks the approver's role)."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.status != S.IN_REVIEW:
        raise Conflict(f"Only a campaign in review can be approved; this one is {label(campaign.status)}.")
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=S.APPROVED, actor=actor,
                      comment=comment)


def request_changes(session: Session, *, workspace_id: int, campaign_id: int, actor: str, comment: str) -> Campaign:
    """Send a campaign in review (or an approved one) back to draft with the reviewer's comment."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.status not in (S.IN_REVIEW, S.APPROVED):
        raise Conflict(f"Changes can be requested of a campaign in review or approved; this one is "
                       f"{label(campaign.status)}.")
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=S.DRAFT, actor=actor,
                      comment=comment)


def unschedule(session: Session, *, workspace_id: int, campaign_id: int, actor: str) -> Campaign:
    """Take a scheduled campaign off the schedule, back to the status it was scheduled from."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.status != S.SCHEDULED:
        raise Conflict(f"The campaign is {label(campaign.status)}, not scheduled.")
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id,
                      to=_scheduled_from(session, campaign), actor=actor, reason="unscheduled")


def _scheduled_from(session: Session, campaign: Campaign) -> CampaignStatus:
    # The audit trail remembers where scheduling started; an approval is kept, a skipped review is not invented.
    for entry in list_for_entity(session, workspace_id=campaign.workspace_id, entity_type="campaign",
                                 entity_id=campaign.id):
        if entry.action == STATUS_CHANGED and entry.details.get("to") == S.SCHEDULED.value:
            return S.APPROVED if entry.details.get("from") == S.APPROVED.value else S.DRAFT
    return S.DRAFT


def archive(session: Session, *, workspace_id: int, campaign_id: int, actor: str) -> Campaign:
    """Hide a draft, completed or cancelled campaign from the working lists (its reports stay)."""
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=S.ARCHIVED, actor=actor)
