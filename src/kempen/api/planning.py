"""Objectives of campaigns and programmes, and programmes with their campaigns and roll-up.

Viewers read; marketers write. Objectives come back with their current value, progress and pace.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi import status as http

from kempen.http.deps import IdPath, Marketer, SessionDep, Viewer
from kempen.planning import objectives, programmes, schemas

router = APIRouter(tags=["planning"])
CREATED = http.HTTP_201_CREATED
NO_CONTENT = http.HTTP_204_NO_CONTENT
CAMPAIGN_OBJECTIVES = "/campaigns/{campaign_id}/objectives"
PROGRAMME = "/programmes/{programme_id}"


def _measured(session: SessionDep, workspace_id: int, objective_id: int, *, campaign_id: int | None = None,
              programme_id: int | None = None) -> schemas.ObjectiveProgress:
    measured = (objectives.campaign_progress(session, workspace_id=workspace_id, campaign_id=campaign_id)
                if campaign_id is not None else
                programmes.programme_detail(session, workspace_id=workspace_id,
                                            programme_id=programme_id or 0).objectives)
    return next(o for o in measured if o.id == objective_id)


# A campaign's objectives

@router.get(CAMPAIGN_OBJECTIVES, response_model=list[schemas.ObjectiveProgress])
def list_campaign_objectives(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    """The campaign's objectives with their current value, progress, projection at the deadline and verdict."""
    return objectives.campaign_progress(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.post(CAMPAIGN_OBJECTIVES, response_model=schemas.ObjectiveProgress, status_code=CREATED)
def add_campaign_objective(session: SessionDep, principal: Marketer, campaign_id: IdPath,
                           data: schemas.ObjectiveCreate) -> Any:
    """Add a SMART objective; 422 when it is not measurable or its deadline is past."""
    found = objectives.add_objective(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                     campaign_id=campaign_id, data=data)
    return _measured(session, principal.workspace_id, found.id, campaign_id=campaign_id)


@router.patch(CAMPAIGN_OBJECTIVES + "/{objective_id}", response_model=schemas.ObjectiveProgress)
def update_campaign_objective(session: SessionDep, principal: Marketer, campaign_id: IdPath, objective_id: IdPath,
                              data: schemas.ObjectiveUpdate) -> Any:
    """Change the baseline, target, deadline or texts of an objective."""
    found = objectives.get_objective_or_raise(session, workspace_id=principal.workspace_id,
                                              objective_id=objective_id, campaign_id=campaign_id)
    objectives.update_objective(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                objective=found, data=data)
    return _measured(session, principal.workspace_id, objective_id, campaign_id=campaign_id)


@router.delete(CAMPAIGN_OBJECTIVES + "/{objective_id}", status_code=NO_CONTENT)
def remove_campaign_objective(session: SessionDep, principal: Marketer, campaign_id: IdPath,
                              objective_id: IdPath) -> None:
    """Remove an objective (a campaign needs one to go to review)."""
    found = objectives.get_objective_or_raise(session, workspace_id=principal.workspace_id,
                                              objective_id=objective_id, campaign_id=campaign_id)
    objectives.remove_objective(session, workspace_id=principal.workspace_id, actor=principal.actor, objective=found)


# Programmes

@router.get("/programmes", response_model=schemas.ProgrammePage)
def list_programmes(session: SessionDep, principal: Viewer) -> Any:
    """Every programme of the workspace, by name, with its number of campaigns."""
    return schemas.ProgrammePage(items=programmes.list_programmes(session, workspace_id=principal.workspace_id))


@router.post("/programmes", response_model=schemas.ProgrammeDetail, status_code=CREATED)
def create_programme(session: SessionDep, principal: Marketer, data: schemas.ProgrammeCreate) -> Any:
    """Create a programme; 409 if the name is taken."""
    found = programmes.create_programme(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                        data=data)
    return programmes.programme_detail(session, workspace_id=principal.workspace_id, programme_id=found.id)


@router.get(PROGRAMME, response_model=schemas.ProgrammeDetail)
def get_programme(session: SessionDep, principal: Viewer, programme_id: IdPath) -> Any:
    """The programme with each campaign's totals, their roll-up against the budget and the objectives' progress."""
    return programmes.programme_detail(session, workspace_id=principal.workspace_id, programme_id=programme_id)


@router.patch(PROGRAMME, response_model=schemas.ProgrammeDetail)
def update_programme(session: SessionDep, principal: Marketer, programme_id: IdPath,
                     data: schemas.ProgrammeUpdate) -> Any:
    """Change the name, description, dates, budget or owner."""
    programmes.update_programme(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                programme_id=programme_id, data=data)
    return programmes.programme_detail(session, workspace_id=principal.workspace_id, programme_id=programme_id)


@router.delete(PROGRAMME, status_code=NO_CONTENT)
def delete_programme(session: SessionDep, principal: Marketer, programme_id: IdPath) -> None:
    """Delete a programme and its objectives; its campaigns stay, outside any programme."""
    programmes.delete_programme(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                programme_id=programme_id)


@router.post(PROGRAMME + "/campaigns", response_model=schemas.ProgrammeDetail)
def assign_campaign(session: SessionDep, principal: Marketer, programme_id: IdPath,
                    data: schemas.CampaignAssign) -> Any:
    """Put a campaign in this programme (it leaves any other)."""
    programmes.get_programme_or_raise(session, workspace_id=principal.workspace_id, programme_id=programme_id)
    programmes.assign_campaign(session, workspace_id=principal.workspace_id, actor=principal.actor,
                               campaign_id=data.campaign_id, programme_id=programme_id)
    return programmes.programme_detail(session, workspace_id=principal.workspace_id, programme_id=programme_id)


@router.delete(PROGRAMME + "/campaigns/{campaign_id}", status_code=NO_CONTENT)
def unassign_campaign(session: SessionDep, principal: Marketer, programme_id: IdPath, campaign_id: IdPath) -> None:
    """Take a campaign out of this programme."""
    programmes.unassign_campaign(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                 programme_id=programme_id, campaign_id=campaign_id)


@router.post(PROGRAMME + "/objectives", response_model=schemas.ObjectiveProgress, status_code=CREATED)
def add_programme_objective(session: SessionDep, principal: Marketer, programme_id: IdPath,
                            data: schemas.ObjectiveCreate) -> Any:
    """Add an objective measured on the sum of the programme's campaigns."""
    found = objectives.add_objective(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                     programme_id=programme_id, data=data)
    return _measured(session, principal.workspace_id, found.id, programme_id=programme_id)


@router.patch(PROGRAMME + "/objectives/{objective_id}", response_model=schemas.ObjectiveProgress)
def update_programme_objective(session: SessionDep, principal: Marketer, programme_id: IdPath, objective_id: IdPath,
                               data: schemas.ObjectiveUpdate) -> Any:
    """Change the baseline, target, deadline or texts of a programme's objective."""
    found = objectives.get_objective_or_raise(session, workspace_id=principal.workspace_id,
                                              objective_id=objective_id, programme_id=programme_id)
    objectives.update_objective(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                objective=found, data=data)
    return _measured(session, principal.workspace_id, objective_id, programme_id=programme_id)


@router.delete(PROGRAMME + "/objectives/{objective_id}", status_code=NO_CONTENT)
def remove_programme_objective(session: SessionDep, principal: Marketer, programme_id: IdPath,
                               objective_id: IdPath) -> None:
    """Remove a programme's objective."""
    found = objectives.get_objective_or_raise(session, workspace_id=principal.workspace_id,
                                              objective_id=objective_id, programme_id=programme_id)
    objectives.remove_objective(session, workspace_id=principal.workspace_id, actor=principal.actor, objective=found)
