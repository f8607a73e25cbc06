"""Existence tests: `ever`/`never`, `clicked`, tags, lists and consent — each one correlated [NOT] EXISTS."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, not_, or_, select, type_coerce, union

from kempen.models import (
    Campaign,
    Channel,
    Consent,
    ConsentStatus,
    Contact,
    ContactList,
    ContactTag,
    Event,
    ListMembership,
    Suppression,
    Tag,
    TouchKind,
    TrackingEvent,
)
from kempen.segments.compiler import values
from kempen.segments.compiler.aggregates import event_filters
from kempen.segments.compiler.context import Context, correlated_exists
from kempen.segments.compiler.jsonsql import json_value
from kempen.segments.rules import Clicked, Ever

# A click is a tracked human click (`tracking_events`, machine clicks left out) in a campaign of that
# name, or an `email_click` event whose `campaign` property names it (clicks sent in through the events API).
CLICK_EVENT = "email_click"
CLICK_CAMPAIGN_PROPERTY = "campaign"


def compile_ever(node: Ever, ctx: Context) -> ColumnElement[bool]:
    found = _correlated(_event_rows(node, ctx))
    return not_(found) if node.negated else found


def compile_clicked(node: Clicked, ctx: Context) -> ColumnElement[bool]:
    return or_(_correlated(_event_rows(node, ctx)), _correlated(_tracked_clicks(node, ctx)))


def _tracked_clicks(node: Clicked, ctx: Context) -> Select[Any]:
    """The contact ids of human clicks tracked in the campaigns of that name (within the window)."""
    t = TrackingEvent.__table__.alias("t")
    k = Campaign.__table__.alias("k")
    campaigns = select(k.c.id).where(k.c.workspace_id == ctx.ws(), k.c.name == node.campaign)
    filters = [t.c.workspace_id == ctx.ws(), type_coerce(t.c.kind, String()) == TouchKind.CLICK.value,
               t.c.machine.is_(False), t.c.campaign_id.in_(campaigns)]
    start = values.window_start(node.window, ctx.now)
    if start is not None:
        filters.append(t.c.occurred_at >= start)
    return select(t.c.contact_id).where(*filters)


def _correlated(rows: Select[Any]) -> ColumnElement[bool]:
    """EXISTS over a contact-id select, correlated with the outer contact."""
    return correlated_exists(rows.where(rows.selected_columns[0] == Contact.id))


def event_members(node: Ever | Clicked, ctx: Context) -> Select[Any]:
    """The distinct ids of the contacts with such an event (negation aside)."""
    if isinstance(node, Clicked):
        both = union(_event_rows(node, ctx), _tracked_clicks(node, ctx)).subquery()
        return select(both.c[0])
    return _event_rows(node, ctx).distinct()


def _event_rows(node: Ever | Clicked, ctx: Context) -> Select[Any]:
    e = Event.__table__.alias("e")
    if isinstance(node, Ever):
        return select(e.c.contact_id).where(*event_filters(e, node.event, node.window, (), ctx))
    campaign = json_value(e.c.properties, CLICK_CAMPAIGN_PROPERTY, "text")
    return select(e.c.contact_id).where(*event_filters(e, CLICK_EVENT, node.window, (), ctx),
                                        campaign == node.campaign)


def compile_tag(name: str, ctx: Context) -> ColumnElement[bool]:
    return _correlated(tag_members(name, ctx))


def tag_members(name: str, ctx: Context) -> Select[Any]:
    """The ids of the contacts with a tag (unique: a contact has a tag once)."""
    ct = ContactTag.__table__.alias("ct")
    # The tag id is looked up once (an InitPlan on PostgreSQL), then (workspace_id, tag_id, contact_id) serves.
    tag_id = select(Tag.id).where(Tag.workspace_id == ctx.ws(), Tag.name == name).scalar_subquery()
    return select(ct.c.contact_id).where(ct.c.workspace_id == ctx.ws(), ct.c.tag_id == tag_id)


def compile_list(name: str, ctx: Context) -> ColumnElement[bool]:
    lm = ListMembership.__table__.alias("lm")
    list_id = select(ContactList.id).where(
        ContactList.workspace_id == ctx.ws(), ContactList.name == name).scalar_subquery()
    return correlated_exists(select(1).select_from(lm).where(
        lm.c.workspace_id == ctx.ws(), lm.c.contact_id == Contact.id, lm.c.list_id == list_id))


def compile_consent(channel: str, ctx: Context) -> ColumnElement[bool]:
    """Consent granted on the channel and, for email and SMS, an address that is set and not suppressed.

    So `consent.email` counts exactly the contacts an email could reach, as the preview does.
    """
    c = Consent.__table__.alias("c")
    granted = correlated_exists(select(1).select_from(c).where(
        c.c.workspace_id == ctx.ws(), c.c.contact_id == Contact.id,
        type_coerce(c.c.channel, String()) == channel,
        type_coerce(c.c.status, String()) == ConsentStatus.GRANTED.value))
    address = {Channel.EMAIL.value: Contact.email_normalized, Channel.SMS.value: Contact.phone}.get(channel)
    if address is None:
        return granted  # push, ads, direct mail: no address on the contact record to suppress
    s = Suppression.__table__.alias("s")
    suppressed = correlated_exists(select(1).select_from(s).where(
        s.c.workspace_id == ctx.ws(), type_coerce(s.c.channel, String()) == channel, s.c.address == address))
    return and_(granted, address.is_not(None), not_(suppressed))
