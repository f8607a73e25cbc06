"""Programmes: campaigns grouped under an initiative with its own objectives and total budget.

A programme's figures are the sum of its campaigns' report totals; its budget is compared with their
actual cost (spend entered or imported plus the cost of the messages sent).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import service as campaigns
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import Campaign, Membership, Programme, User
from kempen.planning import figures, objectives, schemas
from kempen.reporting.figures import ratio
from kempen.reporting.schemas import Figures

CENT = Decimal("0.01")


def _check_name_free(session: Session, workspace_id: int, name: str, programme_id: int | None = None) -> None:
    stmt = select(Programme.id).where(Programme.workspace_id == workspace_id, func.lower(Programme.name) == name.lower())
    if programme_id is not None:
        stmt = stmt.where(Programme.id != programme_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"A programme named {name!r} already exists in this workspace.")


def _check_owner(session: Session, workspace_id: int, owner_id: int | None) -> None:
    if owner_id is not None and session.scalar(select(Membership.user_id).where(
            Membership.workspace_id == workspace_id, Membership.user_id == owner_id)) is None:
        raise InvalidInput(f"User {owner_id} is not a member of this workspace.")


def owner_choices(session: Session, *, workspace_id: int) -> list[tuple[int, str]]:
    """The workspace's members who may own a programme, as (user id, name or email), by email."""
    rows = session.execute(select(User.id, User.name, User.email).join(
        Membership, Membership.user_id == User.id).where(Membership.workspace_id == workspace_id)
        .order_by(User.email))
    return [(user_id, name or email) for user_id, name, email in rows]


def create_programme(session: Session, *, workspace_id: int, actor: str, data: schemas.ProgrammeCreate) -> Programme:
    """Create a programme; Conflict if the name is taken."""
    _check_name_free(session, workspace_id, data.name)
    _check_owner(session, workspace_id, data.owner_id)
    programme = Programme(workspace_id=workspace_id, **data.model_dump())
    session.add(programme)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="programme.created",
                 entity_type="programme", entity_id=programme.id, details={"name": programme.name})
    return programme


def get_programme_or_raise(session: Session, *, workspace_id: int, programme_id: int) -> Programme:
    """The workspace's programme, or NotFound."""
    found = session.scalar(select(Programme).where(Programme.workspace_id == workspace_id,
                                                   Programme.id == programme_id))
    if found is None:
        raise NotFound(f"No programme {programme_id} in this workspace.")
    return found


def update_programme(session: Session, *, workspace_id: int, actor: str, programme_id: int,
                     data: schemas.ProgrammeUpdate) -> Programme:
    """Change the given fields; null clears a date, the budget or the owner."""
    programme = get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    if changes.get("description") is None:
        changes.pop("description", None)
    if "name" in changes:
        _check_name_free(session, workspace_id, changes["name"], programme_id)
    if "owner_id" in changes:
        _check_owner(session, workspace_id, changes["owner_id"])
    starts, ends = changes.get("starts_on", programme.starts_on), changes.get("ends_on", programme.ends_on)
    if starts and ends and ends < starts:
        raise InvalidInput("The programme cannot end before it starts.")
    for name, value in changes.items():
        setattr(programme, name, value)
    programme.updated_at = utcnow()
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="programme.updated",
                 entity_type="programme", entity_id=programme.id,
                 details={k: str(v) if v is not None else None for k, v in changes.items()})
    return programme


def delete_programme(session: Session, *, workspace_id: int, actor: str, programme_id: int) -> None:
    """Delete a programme and its objectives; its campaigns stay, outside any programme."""
    programme = get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id)
    for campaign in campaigns_of(session, workspace_id=workspace_id, programme_id=programme_id):
        campaign.programme_id = None
    session.delete(programme)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="programme.deleted",
                 entity_type="programme", entity_id=programme_id, details={"name": programme.name})


def list_programmes(session: Session, *, workspace_id: int) -> list[schemas.ProgrammeSummary]:
    """Every programme of the workspace by name, with its number of campaigns."""
    counts: dict[int | None, int] = {programme_id: n for programme_id, n in session.execute(
        select(Campaign.programme_id, func.count()).where(
            Campaign.workspace_id == workspace_id, Campaign.programme_id.is_not(None)).group_by(Campaign.programme_id))}
    found = session.scalars(select(Programme).where(Programme.workspace_id == workspace_id)
                            .order_by(func.lower(Programme.name)))
    return [schemas.ProgrammeSummary.model_validate({**schemas.Programme.model_validate(p).model_dump(),
                                                     "campaigns": counts.get(p.id, 0)}) for p in found]


def campaigns_of(session: Session, *, workspace_id: int, programme_id: int) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(
        Campaign.workspace_id == workspace_id, Campaign.programme_id == programme_id).order_by(Campaign.id)))


def assign_campaign(session: Session, *, workspace_id: int, actor: str, campaign_id: int,
                    programme_id: int | None) -> Campaign:
    """Put a campaign in a programme (None: take it out of its programme)."""
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if programme_id is not None:
        get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id)
    before = campaign.programme_id
    campaign.programme_id = programme_id
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.programme_changed",
                 entity_type="campaign", entity_id=campaign_id, details={"from": before, "to": programme_id})
    return campaign


def unassign_campaign(session: Session, *, workspace_id: int, actor: str, programme_id: int,
                      campaign_id: int) -> Campaign:
    """Take a campaign out of this programme; NotFound if it is not in it."""
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.programme_id != programme_id:
        raise NotFound(f"Campaign {campaign_id} is not in programme {programme_id}.")
    return assign_campaign(session, workspace_id=workspace_id, actor=actor, campaign_id=campaign_id,
                           programme_id=None)


def _rollup(totals: list[schemas.CampaignFigures], currency: str, budget: Decimal | None) -> schemas.Rollup:
    rollup = schemas.Rollup(currency=currency, budget=budget)
    for line in totals:
        rollup.sent += line.sent
        rollup.delivered += line.delivered
        rollup.opens += line.opens
        rollup.clicks += line.clicks
        rollup.conversions += line.conversions
        rollup.revenue += line.revenue
        rollup.cost += line.cost
    rollup.conversions = round(rollup.conversions, 4)
    rollup.roi = ratio(rollup.revenue - rollup.cost, rollup.cost)
    rollup.click_rate = ratio(rollup.clicks, rollup.delivered)
    rollup.open_rate = ratio(rollup.opens, rollup.delivered)
    if budget is not None:
        rollup.budget_used = ratio(rollup.cost, budget)
        rollup.budget_left = (budget - rollup.cost).quantize(CENT, ROUND_HALF_UP)
    return rollup


def programme_detail(session: Session, *, workspace_id: int, programme_id: int,
                     now: datetime | None = None) -> schemas.ProgrammeDetail:
    """The programme, each campaign's totals, their sum against the budget and the objectives' progress."""
    programme = get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id)
    until = now or utcnow()
    members = campaigns_of(session, workspace_id=workspace_id, programme_id=programme_id)
    totals = figures.campaign_totals(session, workspace_id=workspace_id, campaigns=members, until=until)
    lines = [_line(c, totals.get(c.id)) for c in members]
    currency = figures.workspace_currency(session, workspace_id)
    rollup = _rollup(lines, currency, programme.budget)
    launched = [c.launched_at for c in members if c.launched_at is not None and c.launched_at < until]
    summed = (figures.summed([totals[c.id] for c in members if c.id in totals], currency=currency)
              if launched else None)
    measured = objectives.measure(
        session, workspace_id=workspace_id,
        objectives=objectives.list_objectives(session, workspace_id=workspace_id, programme_id=programme_id),
        campaigns_of=members, totals=summed, started=min(launched) if launched else None, now=until)
    return schemas.ProgrammeDetail.model_validate({**schemas.Programme.model_validate(programme).model_dump(),
                                                   "campaigns": lines, "rollup": rollup, "objectives": measured})


def _line(campaign: Campaign, totals: Figures | None) -> schemas.CampaignFigures:
    t = totals or Figures(key=str(campaign.id), label=campaign.name)
    return schemas.CampaignFigures(
        campaign_id=campaign.id, name=campaign.name, status=campaign.status.value, launched_at=campaign.launched_at,
        sent=t.sent, delivered=t.delivered, opens=t.opens, clicks=t.clicks, conversions=t.conversions,
        revenue=t.revenue, cost=t.cost, roi=t.roi)
