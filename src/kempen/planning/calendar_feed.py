"""Personal, secret calendar feed URLs: what Google Calendar, Outlook or Apple Calendar subscribe to.

Calendar apps fetch a URL on their own schedule and cannot log in, so the URL itself is the credential:
`/calendar/feed/<token>.ics`, the token signed with the app's secret (itsdangerous, its own salt). It
names the workspace, the member, the member's feed version and the filters (channel, programme, owner).

The feed version needs no column of its own: it is (when the membership began, the id of the member's
last "reset link" audit entry). Resetting writes a new audit entry (append-only), so every URL made
before stops working at once; removing a member (or removing and adding them again) changes the
membership, so their old URLs stop working too. Every fetch re-reads both, so access follows the
member's current membership: a refused token is a 404, whatever the reason, so nothing is revealed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.config import get_settings
from kempen.kit.errors import NotFound
from kempen.kit.ids import MAX_ID
from kempen.models import AuditEntry, Channel, Membership, Role, User
from kempen.planning import calendar
from kempen.planning.calendar import CalendarEvent, CalendarFilters

SALT = "kempen.calendar-feed.v1"
RESET_ACTION = "calendar_feed.reset"
ENTITY_TYPE = "calendar_feed"
# Calendar apps poll every few minutes to hours; a short private max-age spares us repeats, never a proxy.
CACHE_CONTROL = "private, max-age=300"
_REFUSED = "There is no such calendar feed."


@dataclass(frozen=True)
class FeedAccess:
    """Whose feed a valid token opens, and with which filters."""

    workspace_id: int
    user_id: int
    filters: CalendarFilters


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().signing_key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def _membership(session: Session, workspace_id: int, user_id: int) -> Membership | None:
    """The membership of an active user (a deactivated user's feeds stop with their logins)."""
    return session.scalar(select(Membership).join(User, User.id == Membership.user_id).where(
        Membership.workspace_id == workspace_id, Membership.user_id == user_id, User.is_active.is_(True)))


def _version(session: Session, membership: Membership) -> str:
    """A short digest of (membership start, last reset), so the token does not tell when someone joined."""
    last_reset = session.scalar(select(func.max(AuditEntry.id)).where(
        AuditEntry.workspace_id == membership.workspace_id, AuditEntry.entity_type == ENTITY_TYPE,
        AuditEntry.entity_id == str(membership.user_id), AuditEntry.action == RESET_ACTION))
    seed = f"{int(membership.created_at.timestamp())}:{int(last_reset or 0)}".encode()
    return hashlib.sha256(seed).hexdigest()[:12]


def _member_or_raise(session: Session, workspace_id: int, user_id: int) -> Membership:
    membership = _membership(session, workspace_id, user_id)
    if membership is None:
        raise NotFound("That person is not a member of this workspace.")
    return membership


def feed_token(session: Session, *, workspace_id: int, user_id: int,
               filters: CalendarFilters = CalendarFilters()) -> str:
    """The member's current feed token (the same until they reset it or their membership ends)."""
    membership = _member_or_raise(session, workspace_id, user_id)
    payload: dict[str, Any] = {"w": workspace_id, "u": user_id, "v": _version(session, membership)}
    if filters.channel is not None:
        payload["c"] = filters.channel.value
    if filters.programme_id is not None:
        payload["p"] = filters.programme_id
    if filters.owner_id is not None:
        payload["o"] = filters.owner_id
    return str(_serializer().dumps(payload))


def feed_url(session: Session, *, workspace_id: int, user_id: int, base_url: str,
             filters: CalendarFilters = CalendarFilters()) -> str:
    """The address a calendar app subscribes to."""
    token = feed_token(session, workspace_id=workspace_id, user_id=user_id, filters=filters)
    return f"{base_url.rstrip('/')}/calendar/feed/{token}.ics"


def reset_feed(session: Session, *, workspace_id: int, actor: str, user_id: int) -> None:
    """Invalidate every feed URL the member had (they get a new one)."""
    _member_or_raise(session, workspace_id, user_id)
    audit.record(session, workspace_id=workspace_id, actor=actor, action=RESET_ACTION, entity_type=ENTITY_TYPE,
                 entity_id=user_id, details={})
    session.flush()


def _id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    raise NotFound(_REFUSED)


def _filters(payload: dict[str, Any]) -> CalendarFilters:
    channel = payload.get("c")
    if channel is not None and channel not in {ch.value for ch in Channel}:
        raise NotFound(_REFUSED)
    return CalendarFilters(channel=Channel(channel) if channel else None, programme_id=_id(payload.get("p")),
                           owner_id=_id(payload.get("o")))


def open_feed(session: Session, token: str) -> FeedAccess:
    """Check a feed token against the member's current membership and feed version; NotFound otherwise."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise NotFound(_REFUSED) from None
    if not isinstance(payload, dict):
        raise NotFound(_REFUSED)
    workspace_id, user_id = _id(payload.get("w")), _id(payload.get("u"))
    membership = _membership(session, workspace_id, user_id) if workspace_id and user_id else None
    # Every role reads the calendar; a membership that ended (or began again) or a reset link is refused.
    if membership is None or not membership.role.includes(Role.VIEWER) or \
            payload.get("v") != _version(session, membership):
        raise NotFound(_REFUSED)
    return FeedAccess(workspace_id=membership.workspace_id, user_id=membership.user_id, filters=_filters(payload))


def feed_window(today: date) -> tuple[date, date]:
    """What a feed (or an .ics export) covers: from two months back to eleven months ahead."""
    first = today.replace(day=1)
    return (first - timedelta(days=59)).replace(day=1), (first + timedelta(days=31 * 11)).replace(day=1)


def feed_events(session: Session, access: FeedAccess, *, today: date) -> list[CalendarEvent]:
    """The events a valid feed shows."""
    since, until = feed_window(today)
    return calendar.list_events(session, workspace_id=access.workspace_id, since=calendar.day_start(since),
                                until=calendar.day_start(until), filters=access.filters)
