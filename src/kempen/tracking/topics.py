"""Preference topics: subjects a contact may opt out of (no row = subscribed: topics are opt-out)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import Campaign, Topic, TopicSubscription

KEY_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class TopicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(pattern=KEY_PATTERN, description="Lower-case letters, digits, '-', '_' or '.'")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class TopicUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class TopicOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    description: str
    opted_out: int = 0
    created_at: datetime


def get_topic_or_raise(session: Session, *, workspace_id: int, topic_id: int) -> Topic:
    """The workspace's topic, or NotFound (also for another workspace's id)."""
    topic = session.scalar(select(Topic).where(Topic.workspace_id == workspace_id, Topic.id == topic_id))
    if topic is None:
        raise NotFound(f"No topic {topic_id} in this workspace.")
    return topic


def list_topics(session: Session, *, workspace_id: int) -> list[TopicOut]:
    """Every topic of the workspace by name, with how many contacts opted out of it."""
    out = (select(TopicSubscription.topic_id, func.count().label("n"))
           .where(TopicSubscription.workspace_id == workspace_id, TopicSubscription.subscribed.is_(False))
           .group_by(TopicSubscription.topic_id).subquery())
    rows = session.execute(select(Topic, func.coalesce(out.c.n, 0)).outerjoin(out, out.c.topic_id == Topic.id)
                           .where(Topic.workspace_id == workspace_id).order_by(Topic.name, Topic.id))
    return [TopicOut.model_validate(topic).model_copy(update={"opted_out": int(n)}) for topic, n in rows]


def create_topic(session: Session, *, workspace_id: int, actor: str, data: TopicCreate) -> Topic:
    """Create a topic; 409 if the key is taken."""
    if session.scalar(select(Topic.id).where(Topic.workspace_id == workspace_id, Topic.key == data.key)):
        raise Conflict(f"A topic with key {data.key!r} already exists.")
    topic = Topic(workspace_id=workspace_id, key=data.key, name=data.name, description=data.description)
    session.add(topic)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="topic.created", entity_type="topic",
                 entity_id=topic.id, details={"key": topic.key, "name": topic.name})
    return topic


def update_topic(session: Session, *, workspace_id: int, actor: str, topic_id: int, data: TopicUpdate) -> Topic:
    """Rename a topic or change its description."""
    topic = get_topic_or_raise(session, workspace_id=workspace_id, topic_id=topic_id)
    changes = data.model_dump(exclude_none=True)
    for name, value in changes.items():
        setattr(topic, name, value)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="topic.updated", entity_type="topic",
                 entity_id=topic.id, details=changes)
    return topic


def delete_topic(session: Session, *, workspace_id: int, actor: str, topic_id: int) -> None:
    """Delete a topic and the choices made about it; campaigns naming it lose the topic."""
    topic = get_topic_or_raise(session, workspace_id=workspace_id, topic_id=topic_id)
    session.execute(delete(TopicSubscription).where(TopicSubscription.workspace_id == workspace_id,
                                                    TopicSubscription.topic_id == topic_id))
    # SQLite does not enforce ON DELETE SET NULL unless foreign keys are on; do it here for both.
    session.execute(update(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.topic_id == topic_id)
                    .values(topic_id=None))
    details = {"key": topic.key, "name": topic.name}
    session.delete(topic)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="topic.deleted", entity_type="topic",
                 entity_id=topic_id, details=details)


def contact_choices(session: Session, *, workspace_id: int, contact_id: int) -> list[tuple[Topic, bool]]:
    """Every topic of the workspace with whether the contact is subscribed to it."""
    rows = session.execute(
        select(Topic, TopicSubscription.subscribed)
        .outerjoin(TopicSubscription, (TopicSubscription.topic_id == Topic.id)
                   & (TopicSubscription.contact_id == contact_id))
        .where(Topic.workspace_id == workspace_id).order_by(Topic.name, Topic.id))
    return [(topic, subscribed is not False) for topic, subscribed in rows]


def set_choice(session: Session, *, workspace_id: int, actor: str, contact_id: int, topic_id: int,
               subscribed: bool, source: str) -> bool:
    """Record a contact's choice about a topic; return whether it changed (audited when it did)."""
    get_topic_or_raise(session, workspace_id=workspace_id, topic_id=topic_id)
    row = session.get(TopicSubscription, (contact_id, topic_id))
    if row is not None and row.workspace_id != workspace_id:
        raise InvalidInput("This contact is not in the topic's workspace.")
    if (row.subscribed if row is not None else True) == subscribed:
        return False
    if row is None:
        row = TopicSubscription(workspace_id=workspace_id, contact_id=contact_id, topic_id=topic_id)
        session.add(row)
    row.subscribed = subscribed
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="topic.subscription_changed",
                 entity_type="contact", entity_id=contact_id,
                 details={"topic_id": topic_id, "subscribed": subscribed, "source": source})
    return True
