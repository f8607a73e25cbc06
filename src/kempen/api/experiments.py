"""Experiments API: the workspace's universal holdout (settings, end it) and its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kempen.experiments import universal_holdout as holdout
from kempen.experiments.universal_lift import UniversalLiftOut, universal_lift
from kempen.http.deps import Admin, SessionDep, Viewer

router = APIRouter(tags=["experiments"])
SETTINGS = "/settings/universal-holdout"
Confidence = Annotated[float, Query(ge=0.8, le=0.99, description="Confidence level of the intervals")]


@router.get(SETTINGS, response_model=holdout.UniversalHoldoutOut, tags=["settings"])
def get_universal_holdout(session: SessionDep, principal: Viewer) -> holdout.UniversalHoldoutOut:
    """The universal holdout: its state (off, scheduled, running, ended), share, period and who it holds out now."""
    row = holdout.get_universal_holdout(session, workspace_id=principal.workspace_id)
    return holdout.universal_holdout_out(session, row)


@router.put(SETTINGS, response_model=holdout.UniversalHoldoutOut, tags=["settings"])
def set_universal_holdout(session: SessionDep, principal: Admin,
                          data: holdout.UniversalHoldoutSet) -> holdout.UniversalHoldoutOut:
    """Enable a new period (when off or ended) or change the current one (admins).

    Once running only `ends_at` may change: a new share or seed mid-period is a 409.
    """
    row = holdout.set_universal_holdout(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                        data=data)
    return holdout.universal_holdout_out(session, row)


@router.post(SETTINGS + "/end", response_model=holdout.UniversalHoldoutOut, tags=["settings"])
def end_universal_holdout(session: SessionDep, principal: Admin) -> holdout.UniversalHoldoutOut:
    """End the running period now (its report stays) or cancel a scheduled one (admins); 409 when none is on."""
    row = holdout.end_universal_holdout(session, workspace_id=principal.workspace_id, actor=principal.actor)
    return holdout.universal_holdout_out(session, row)


@router.get("/reports/universal-holdout", response_model=UniversalLiftOut, tags=["reports"])
def universal_holdout_report(session: SessionDep, principal: Viewer,
                             confidence: Confidence = 0.95) -> UniversalLiftOut:
    """The total lift of all campaigns: held-out contacts against the rest over the current or last period."""
    return universal_lift(session, workspace_id=principal.workspace_id, confidence=confidence)
