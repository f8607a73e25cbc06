"""Segment routes: saved rules, previews, validation as you type, snapshots, CSV exports, metrics, lead scores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from kempen.contacts.schemas import Contact as ContactOut
from kempen.crm.schemas import MemberPage
from kempen.db import get_session_factory
from kempen.http.deps import Analyst, IdPath, Marketer, SessionDep, Viewer
from kempen.kit.clock import utcnow
from kempen.kit.pagination import MAX_PAGE
from kempen.segments import export, preview, schemas, scoring, service, snapshots

router = APIRouter(tags=["segments"])
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
SampleSize = Annotated[int, Query(ge=0, le=100)]
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "id, external_id, email, phone, first_name, last_name, "
                                                      "country, lifecycle_stage, created_at"}}


# Segments

@router.get("/segments", response_model=list[schemas.Segment])
def list_segments(session: SessionDep, principal: Viewer) -> Any:
    """Every segment of the workspace, by name."""
    return service.list_segments(session, workspace_id=principal.workspace_id)


@router.post("/segments", response_model=schemas.Segment, status_code=CREATED)
def create_segment(session: SessionDep, principal: Marketer, data: schemas.SegmentCreate) -> Any:
    """Save a rule (`text` or JSON `rule`) as a segment; 409 if the name is taken, 422 with positions if invalid."""
    return service.create_segment(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.post("/segments/validate", response_model=schemas.ValidateResult)
def validate_rule(session: SessionDep, principal: Viewer, data: schemas.ValidateRequest) -> schemas.ValidateResult:
    """Check a rule as it is typed: positioned errors, or its canonical text and JSON."""
    return service.validate_rule(session, principal.workspace_id, data.text, data.rule)


@router.post("/segments/preview", response_model=schemas.Preview)
def preview_rule(session: SessionDep, principal: Viewer, data: schemas.PreviewRequest) -> schemas.Preview:
    """Count, per-channel reachability and a sample of the contacts an unsaved rule matches."""
    rule = service.parse_input(session, principal.workspace_id, data.text, data.rule)
    return preview.preview(session, principal.workspace_id, rule, data.sample_size)


@router.post("/segments/members.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_rule(session: SessionDep, principal: Analyst, data: schemas.RuleInput) -> StreamingResponse:
    """The contacts an unsaved rule matches, as CSV."""
    rule = service.parse_input(session, principal.workspace_id, data.text, data.rule)
    return _csv(export.export_source(session, workspace_id=principal.workspace_id, rule=rule))


@router.get("/segments/{segment_id}", response_model=schemas.Segment)
def get_segment(session: SessionDep, principal: Viewer, segment_id: IdPath) -> Any:
    return service.get_segment(session, workspace_id=principal.workspace_id, segment_id=segment_id)


@router.patch("/segments/{segment_id}", response_model=schemas.Segment)
def update_segment(session: SessionDep, principal: Marketer, segment_id: IdPath, data: schemas.SegmentUpdate) -> Any:
    """Change a segment's name, description or rule."""
    return service.update_segment(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                  segment_id=segment_id, data=data)


@router.delete("/segments/{segment_id}", status_code=NO_CONTENT)
def delete_segment(session: SessionDep, principal: Marketer, segment_id: IdPath) -> None:
    """Delete a segment; 409 while another segment or a lead-score rule refers to it."""
    service.delete_segment(session, workspace_id=principal.workspace_id, actor=principal.actor, segment_id=segment_id)


@router.post("/segments/{segment_id}/preview", response_model=schemas.Preview)
def preview_segment(session: SessionDep, principal: Viewer, segment_id: IdPath,
                    sample_size: SampleSize = 20) -> schemas.Preview:
    """Count, per-channel reachability and a sample of a saved segment's members now."""
    return preview.preview_segment(session, principal.workspace_id, segment_id, sample_size)


@router.get("/segments/{segment_id}/members.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_segment(session: SessionDep, principal: Analyst, segment_id: IdPath) -> StreamingResponse:
    """A saved segment's members now, as CSV (streamed)."""
    return _csv(export.export_source(session, workspace_id=principal.workspace_id, segment_id=segment_id))


def _csv(source: export.ExportSource) -> StreamingResponse:
    return StreamingResponse(export.stream_csv(get_session_factory(), source), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{source.label}.csv"'})


# Snapshots

@router.post("/segments/{segment_id}/snapshots", response_model=schemas.Snapshot, status_code=CREATED)
def take_snapshot(session: SessionDep, principal: Marketer, segment_id: IdPath,
                  data: schemas.SnapshotCreate | None = None) -> Any:
    """Freeze the segment's members as they are now."""
    return snapshots.take_snapshot(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                   segment_id=segment_id, reason=data.reason if data else "")


@router.get("/segments/{segment_id}/snapshots", response_model=list[schemas.Snapshot])
def list_snapshots(session: SessionDep, principal: Viewer, segment_id: IdPath) -> Any:
    """A segment's snapshots, newest first."""
    return snapshots.list_snapshots(session, workspace_id=principal.workspace_id, segment_id=segment_id)


@router.get("/snapshots/{snapshot_id}", response_model=schemas.Snapshot)
def get_snapshot(session: SessionDep, principal: Viewer, snapshot_id: IdPath) -> Any:
    return snapshots.get_snapshot(session, workspace_id=principal.workspace_id, snapshot_id=snapshot_id)


@router.get("/snapshots/{snapshot_id}/members", response_model=MemberPage)
def snapshot_members(session: SessionDep, principal: Viewer, snapshot_id: IdPath, cursor: str | None = None,
                     limit: Limit = 50) -> MemberPage:
    """One page of a snapshot's members, newest contact first."""
    items, next_cursor = snapshots.snapshot_members(session, workspace_id=principal.workspace_id,
                                                    snapshot_id=snapshot_id, cursor=cursor, limit=limit)
    return MemberPage(items=[ContactOut.model_validate(c) for c in items], next_cursor=next_cursor)


@router.get("/snapshots/{snapshot_id}/members.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def export_snapshot(session: SessionDep, principal: Analyst, snapshot_id: IdPath) -> StreamingResponse:
    """A snapshot's members as CSV."""
    return _csv(export.export_source(session, workspace_id=principal.workspace_id, snapshot_id=snapshot_id))


# Metrics and lead scores

@router.post("/metrics/refresh", response_model=schemas.MetricsRefresh)
def refresh_metrics(session: SessionDep, principal: Marketer) -> schemas.MetricsRefresh:
    """Recompute order metrics, RFM and lead scores of every contact now (they also refresh on a schedule)."""
    now = utcnow()
    count = scoring.refresh_metrics(session, workspace_id=principal.workspace_id, now=now)
    return schemas.MetricsRefresh(contacts=count, computed_at=now)


@router.get("/lead-score-rules", response_model=list[schemas.LeadScoreRule])
def list_lead_score_rules(session: SessionDep, principal: Viewer) -> Any:
    return scoring.list_rules(session, workspace_id=principal.workspace_id)


@router.post("/lead-score-rules", response_model=schemas.LeadScoreRule, status_code=CREATED)
def create_lead_score_rule(session: SessionDep, principal: Marketer, data: schemas.LeadScoreRuleCreate) -> Any:
    """Add a rule: matching contacts earn `points` (applied at the next metrics refresh)."""
    return scoring.create_rule(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.patch("/lead-score-rules/{rule_id}", response_model=schemas.LeadScoreRule)
def update_lead_score_rule(session: SessionDep, principal: Marketer, rule_id: IdPath,
                           data: schemas.LeadScoreRuleUpdate) -> Any:
    return scoring.update_rule(session, workspace_id=principal.workspace_id, actor=principal.actor,
                               rule_id=rule_id, data=data)


@router.delete("/lead-score-rules/{rule_id}", status_code=NO_CONTENT)
def delete_lead_score_rule(session: SessionDep, principal: Marketer, rule_id: IdPath) -> None:
    scoring.delete_rule(session, workspace_id=principal.workspace_id, actor=principal.actor, rule_id=rule_id)
