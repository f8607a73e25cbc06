"""Snapshots: a segment's membership frozen at one moment, written with one INSERT … SELECT."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, insert, literal, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.kit.clock import utcnow
from kempen.kit.errors import NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import Contact, SegmentSnapshot, SegmentSnapshotMember
from kempen.segments import rules
from kempen.segments.inputs import canonical_text
from kempen.segments.preview import members_query
from kempen.segments.service import get_segment


def take_snapshot(session: Session, *, workspace_id: int, actor: str, segment_id: int | None = None,
                  rule: rules.Rule | None = None, rule_text: str | None = None, reason: str = "",
                  now: datetime | None = None) -> SegmentSnapshot:
    """Freeze the members of a saved segment (or of an unsaved rule) as they are now."""
    if (segment_id is None) == (rule is None):
        raise ValueError("give a segment id or a rule")
    if segment_id is not None:
        segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
        rule, rule_text = rules.rule_from_json(segment.rule), segment.rule_text
    assert rule is not None
    now = now or utcnow()
    snapshot = SegmentSnapshot(workspace_id=workspace_id, segment_id=segment_id, rule=rules.rule_to_json(rule),
                               rule_text=rule_text or canonical_text(rule), reason=reason, taken_at=now)
    session.add(snapshot)
    session.flush()
    ids = members_query(session, workspace_id, rule, now).subquery("members")
    chosen = select(literal(workspace_id), literal(snapshot.id), ids.c[0])
    session.execute(insert(SegmentSnapshotMember).from_select(
        ["workspace_id", "snapshot_id", "contact_id"], chosen))
    snapshot.member_count = _count(session, workspace_id, snapshot.id)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="segment.snapshot_taken",
                 entity_type="segment_snapshot", entity_id=snapshot.id,
                 details={"segment_id": segment_id, "member_count": snapshot.member_count, "reason": reason})
    return snapshot


def _count(session: Session, workspace_id: int, snapshot_id: int) -> int:
    return session.scalar(select(func.count()).select_from(SegmentSnapshotMember).where(
        SegmentSnapshotMember.workspace_id == workspace_id, SegmentSnapshotMember.snapshot_id == snapshot_id)) or 0


def get_snapshot(session: Session, *, workspace_id: int, snapshot_id: int) -> SegmentSnapshot:
    found = session.scalar(select(SegmentSnapshot).where(SegmentSnapshot.workspace_id == workspace_id,
                                                         SegmentSnapshot.id == snapshot_id))
    if found is None:
        raise NotFound(f"No snapshot {snapshot_id} in this workspace.")
    return found


def list_snapshots(session: Session, *, workspace_id: int, segment_id: int) -> list[SegmentSnapshot]:
    """A segment's snapshots, newest first."""
    get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    stmt = (select(SegmentSnapshot)
            .where(SegmentSnapshot.workspace_id == workspace_id, SegmentSnapshot.segment_id == segment_id)
            .order_by(SegmentSnapshot.taken_at.desc(), SegmentSnapshot.id.desc()))
    return list(session.scalars(stmt))


def snapshot_member_ids(workspace_id: int, snapshot_id: int) -> Select[int]:
    """`SELECT contact_id` of a snapshot's members."""
    return select(SegmentSnapshotMember.contact_id).where(
        SegmentSnapshotMember.workspace_id == workspace_id, SegmentSnapshotMember.snapshot_id == snapshot_id)


def snapshot_members(session: Session, *, workspace_id: int, snapshot_id: int, cursor: str | None = None,
                     limit: int = 50) -> tuple[list[Contact], str | None]:
    """One page of a snapshot's members (contacts deleted since have left it), newest contact first."""
    get_snapshot(session, workspace_id=workspace_id, snapshot_id=snapshot_id)
    stmt = select(Contact).where(Contact.workspace_id == workspace_id,
                                 Contact.id.in_(snapshot_member_ids(workspace_id, snapshot_id)))
    return keyset_page(session, stmt, Contact.id, cursor=cursor, limit=limit)
