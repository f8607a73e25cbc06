"""SMART objectives of campaigns and programmes: add, change, remove, and measure them against the reports.

SMART, as checked here:
- specific: one metric from a fixed list (named conversions also need the conversion's name);
- measurable: a number for the target that differs from the baseline; rates and ROI are fractions;
- achievable: a target more than 10× its baseline is accepted with a warning;
- relevant: free text (`relevance`), shown with the objective;
- time-bound: a deadline, not in the past when the objective is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import service as campaigns
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import Campaign, Objective, ObjectiveMetric, Programme
from kempen.planning import figures, measures, schemas
from kempen.planning.pace import pace
from kempen.reporting.schemas import Figures

ACHIEVABLE_FACTOR = 10
# Report figure read for each metric (named conversions are counted separately).
_FIGURE = {ObjectiveMetric.CONVERSIONS: "conversions", ObjectiveMetric.REVENUE: "revenue",
           ObjectiveMetric.CLICKS: "clicks", ObjectiveMetric.CLICK_RATE: "click_rate",
           ObjectiveMetric.OPEN_RATE: "open_rate", ObjectiveMetric.ROI: "roi"}
_RATES = frozenset({ObjectiveMetric.CLICK_RATE, ObjectiveMetric.OPEN_RATE})


def _check(metric: ObjectiveMetric, baseline: float, target: float, deadline: date, today: date | None) -> None:
    if today is not None and deadline < today:
        raise InvalidInput(f"The deadline {deadline.isoformat()} is in the past: an objective needs a date to "
                           "reach it by, today or later.")
    if target == baseline:
        raise InvalidInput("The target equals the baseline: set a target to move toward.")
    if metric in _RATES:
        for name, value in (("baseline", baseline), ("target", target)):
            if not 0 <= value <= 1:
                raise InvalidInput(f"The {name} of a {measures.metric_label(metric)} is a fraction between 0 and "
                                   f"1 (3 % is 0.03), not {value:g}.")
    elif metric != ObjectiveMetric.ROI and (baseline < 0 or target < 0):
        raise InvalidInput(f"{measures.metric_label(metric).capitalize()} cannot be negative.")


def smart_warnings(objective: Objective) -> list[str]:
    """What deserves a second look but does not refuse the objective (SMART's "achievable")."""
    baseline, target = float(objective.baseline), float(objective.target)
    if baseline > 0 and target > ACHIEVABLE_FACTOR * baseline:
        return [f"The target is more than {ACHIEVABLE_FACTOR}× the baseline: is it achievable?"]
    return []


def _owner(session: Session, workspace_id: int, campaign_id: int | None, programme_id: int | None) -> str:
    if campaign_id is not None:
        campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
        return "campaign"
    assert programme_id is not None
    if session.scalar(select(Programme.id).where(Programme.workspace_id == workspace_id,
                                                 Programme.id == programme_id)) is None:
        raise NotFound(f"No programme {programme_id} in this workspace.")
    return "programme"


def add_objective(session: Session, *, workspace_id: int, actor: str, data: schemas.ObjectiveCreate,
                  campaign_id: int | None = None, programme_id: int | None = None,
                  today: date | None = None) -> Objective:
    """Add an objective to a campaign or a programme (exactly one); InvalidInput when it is not SMART."""
    if (campaign_id is None) == (programme_id is None):
        raise ValueError("an objective belongs to a campaign or a programme")
    kind = _owner(session, workspace_id, campaign_id, programme_id)
    _check(data.metric, float(data.baseline), float(data.target), data.deadline, today or utcnow().date())
    objective = Objective(workspace_id=workspace_id, campaign_id=campaign_id, programme_id=programme_id,
                          created_by=actor, **data.model_dump())
    session.add(objective)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="objective.created", entity_type=kind,
                 entity_id=_owner_id(objective), details=_described(objective))
    return objective


def _owner_id(objective: Objective) -> int:
    owner = objective.campaign_id or objective.programme_id
    assert owner is not None
    return owner


def _described(objective: Objective) -> dict[str, Any]:
    return {"objective_id": objective.id, "metric": objective.metric.value,
            "conversion_name": objective.conversion_name, "baseline": str(objective.baseline),
            "target": str(objective.target), "deadline": objective.deadline.isoformat()}


def get_objective_or_raise(session: Session, *, workspace_id: int, objective_id: int,
                           campaign_id: int | None = None, programme_id: int | None = None) -> Objective:
    """The workspace's objective (of that campaign or programme when given), or NotFound."""
    stmt = select(Objective).where(Objective.workspace_id == workspace_id, Objective.id == objective_id)
    if campaign_id is not None:
        stmt = stmt.where(Objective.campaign_id == campaign_id)
    if programme_id is not None:
        stmt = stmt.where(Objective.programme_id == programme_id)
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"No objective {objective_id} here.")
    return found


def update_objective(session: Session, *, workspace_id: int, actor: str, objective: Objective,
                     data: schemas.ObjectiveUpdate) -> Objective:
    """Change the target, baseline, deadline or texts; the same SMART checks apply (a past deadline may stay)."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    new = {"baseline": objective.baseline, "target": objective.target, "deadline": objective.deadline, **changes}
    moved_deadline = "deadline" in changes and changes["deadline"] != objective.deadline
    _check(objective.metric, float(new["baseline"]), float(new["target"]), new["deadline"],
           utcnow().date() if moved_deadline else None)
    for name, value in changes.items():
        setattr(objective, name, value)
    objective.updated_at = utcnow()
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="objective.updated",
                 entity_type="campaign" if objective.campaign_id else "programme",
                 entity_id=_owner_id(objective), details=_described(objective))
    return objective


def remove_objective(session: Session, *, workspace_id: int, actor: str, objective: Objective) -> None:
    """Delete an objective (the audit log keeps what it was)."""
    details = _described(objective)
    kind, owner = "campaign" if objective.campaign_id else "programme", _owner_id(objective)
    session.delete(objective)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="objective.removed", entity_type=kind,
                 entity_id=owner, details=details)


def list_objectives(session: Session, *, workspace_id: int, campaign_id: int | None = None,
                    programme_id: int | None = None) -> list[Objective]:
    """A campaign's or a programme's objectives, by deadline."""
    stmt = select(Objective).where(Objective.workspace_id == workspace_id)
    stmt = (stmt.where(Objective.campaign_id == campaign_id) if campaign_id is not None
            else stmt.where(Objective.programme_id == programme_id))
    return list(session.scalars(stmt.order_by(Objective.deadline, Objective.id)))


def count_measurable(session: Session, *, workspace_id: int, campaign_id: int) -> int:
    """How many objectives a campaign has (every stored objective has a numeric target)."""
    return session.scalar(select(func.count()).select_from(Objective).where(
        Objective.workspace_id == workspace_id, Objective.campaign_id == campaign_id)) or 0


def end_of(day: date) -> datetime:
    """The deadline as a moment: the end of that day, UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def current_value(session: Session, *, workspace_id: int, objective: Objective, campaigns_of: Sequence[Campaign],
                  totals: Figures | None, until: datetime) -> float | None:
    """The objective's metric now: from the report totals, or counted for a named conversion; None before launch."""
    if totals is None:
        return None
    if objective.metric == ObjectiveMetric.NAMED_CONVERSION:
        assert objective.conversion_name is not None
        return figures.named_conversions(session, workspace_id=workspace_id, campaigns=campaigns_of, until=until,
                                         name=objective.conversion_name)
    value = getattr(totals, _FIGURE[objective.metric])
    return None if value is None else float(value)


def measure(session: Session, *, workspace_id: int, objectives: Sequence[Objective],
            campaigns_of: Sequence[Campaign], totals: Figures | None, started: datetime | None,
            now: datetime) -> list[schemas.ObjectiveProgress]:
    """Each objective with its current value, progress, projection, verdict and sentence."""
    currency = figures.workspace_currency(session, workspace_id) if objectives else ""
    out = []
    for objective in objectives:
        current = current_value(session, workspace_id=workspace_id, objective=objective, campaigns_of=campaigns_of,
                                totals=totals, until=now)
        baseline, target = float(objective.baseline), float(objective.target)
        result = pace(baseline=baseline, target=target, current=current,
                      cumulative=measures.MEASURES[objective.metric].cumulative, start=started, now=now,
                      deadline=end_of(objective.deadline))
        sentence = measures.pace_sentence(objective.metric, pace=result, target=target, current=current,
                                          deadline=objective.deadline, currency=currency,
                                          conversion_name=objective.conversion_name)
        out.append(schemas.ObjectiveProgress.model_validate({
            **schemas.Objective.model_validate(objective).model_dump(),
            "label": measures.metric_label(objective.metric, objective.conversion_name), "current": current,
            "progress": result.progress, "projected": result.projected, "verdict": result.verdict,
            "sentence": sentence, "warnings": smart_warnings(objective)}))
    return out


def campaign_progress(session: Session, *, workspace_id: int, campaign_id: int,
                      now: datetime | None = None) -> list[schemas.ObjectiveProgress]:
    """A campaign's objectives measured against its report, as of `now`."""
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    objectives = list_objectives(session, workspace_id=workspace_id, campaign_id=campaign_id)
    until = now or utcnow()
    totals = (figures.campaign_totals(session, workspace_id=workspace_id, campaigns=[campaign], until=until)
              .get(campaign.id) if objectives else None)
    if totals is None and objectives and campaign.launched_at is not None and campaign.launched_at < until:
        totals = Figures(key=str(campaign.id), label=campaign.name)  # launched, nothing measured yet
    return measure(session, workspace_id=workspace_id, objectives=objectives, campaigns_of=[campaign],
                   totals=totals, started=campaign.launched_at, now=until)
