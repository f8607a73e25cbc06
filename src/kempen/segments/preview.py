"""Evaluating a rule: member counts, a sample and per-channel reachability, all computed in SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from kempen.kit.clock import utcnow
from kempen.models import Channel, Consent, ConsentStatus, Contact, Suppression
from kempen.segments import compiler, rules, schemas
from kempen.segments.errors import RuleError
from kempen.segments.inputs import catalogue_of, invalid_rule
from kempen.segments.service import get_segment, segment_resolver

CHANNELS = tuple(Channel)


def _compiled(build: Callable[..., Select[Any]], session: Session, workspace_id: int, rule: rules.Rule,
              now: datetime | None) -> Select[Any]:
    try:
        return build(rule, workspace_id=workspace_id, catalogue=catalogue_of(session, workspace_id),
                     now=now or utcnow(), resolve_segment=segment_resolver(session, workspace_id))
    except RuleError as exc:
        # A saved rule can go stale (a custom field deleted since); compiling it is then a 422, not a 500.
        raise invalid_rule([exc]) from None


def members_query(session: Session, workspace_id: int, rule: rules.Rule, now: datetime | None = None) -> Select[Any]:
    """`SELECT contacts.id` of the contacts matching a rule, references resolved in this workspace."""
    return _compiled(compiler.members_query, session, workspace_id, rule, now)


def count_members(session: Session, workspace_id: int, rule: rules.Rule, now: datetime | None = None) -> int:
    """How many contacts match a rule now."""
    return int(session.scalar(_compiled(compiler.count_query, session, workspace_id, rule, now)) or 0)


def _address(channel: Channel) -> Any:
    return Contact.email_normalized if channel == Channel.EMAIL else Contact.phone


def _reachability_query(workspace_id: int, members: Select[Any]) -> Select[Any]:
    """COUNT(*) and, per channel, SUM(CASE reachable …) over the members joined to consents and suppressions."""
    ids = members.subquery("members")
    joined: Any = ids.join(Contact, Contact.id == ids.c[0])
    columns: list[ColumnElement[Any]] = []
    # Consent is one row per contact and channel, a suppression one per channel and address: no fan-out.
    for channel in CHANNELS:
        consent = aliased(Consent, name=f"consent_{channel.value}")
        joined = joined.outerjoin(consent, and_(
            consent.contact_id == Contact.id, consent.workspace_id == workspace_id,
            consent.channel == channel, consent.status == ConsentStatus.GRANTED))
        reachable: ColumnElement[bool] = consent.contact_id.is_not(None)
        if channel in (Channel.EMAIL, Channel.SMS):
            suppressed = aliased(Suppression, name=f"suppressed_{channel.value}")
            joined = joined.outerjoin(suppressed, and_(
                suppressed.workspace_id == workspace_id, suppressed.channel == channel,
                suppressed.address == _address(channel)))
            reachable = and_(reachable, _address(channel).is_not(None), suppressed.id.is_(None))
        columns.append(func.coalesce(func.sum(case((reachable, 1), else_=0)), 0).label(channel.value))
    return select(func.count().label("count"), *columns).select_from(joined)


def sample(session: Session, workspace_id: int, members: Select[Any], size: int) -> list[schemas.SampleContact]:
    """The newest `size` matching contacts."""
    if size <= 0:
        return []
    stmt = (select(Contact.id, Contact.first_name, Contact.last_name, Contact.email, Contact.country)
            .where(Contact.workspace_id == workspace_id, Contact.id.in_(members))
            .order_by(Contact.id.desc()).limit(size))
    return [schemas.SampleContact.model_validate(row._asdict()) for row in session.execute(stmt)]


def preview(session: Session, workspace_id: int, rule: rules.Rule, sample_size: int = 20,
            now: datetime | None = None) -> schemas.Preview:
    """Count, reachability per channel and a sample of the contacts a rule matches."""
    members = members_query(session, workspace_id, rule, now)
    row = session.execute(_reachability_query(workspace_id, members)).one()._asdict()
    reachable = schemas.Reachability(**{c.value: int(row[c.value]) for c in CHANNELS})
    return schemas.Preview(count=int(row["count"]), reachable=reachable,
                           sample=sample(session, workspace_id, members, sample_size))


def preview_segment(session: Session, workspace_id: int, segment_id: int, sample_size: int = 20,
                    now: datetime | None = None) -> schemas.Preview:
    """Preview a saved segment's members now (404 if it is not this workspace's)."""
    segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    return preview(session, workspace_id, rules.rule_from_json(segment.rule), sample_size, now)
