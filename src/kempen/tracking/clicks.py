"""What a tracked click or open does: where it leads, with which UTM parameters, and what is recorded.

The redirect never queries per click: a variant's static links, its campaign's UTM name and the
workspace's UTM settings are read once and kept in this process (`VariantCache`, a minute). Only
http(s) destinations that were in the message are ever redirected to: static ones come from the
variant by position, rendered ones from the signed token; anything else is refused.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Campaign, MessageVariant, TouchKind
from kempen.models.contacts import Channel
from kempen.tracking.click_ids import CLICK_ID_PARAMETER, make_click_id
from kempen.tracking.links import ClickToken, TrackedDelivery
from kempen.tracking.settings import get_tracking_settings

_CACHE_SECONDS = 60.0
_SLUG = re.compile(r"[^a-z0-9]+")
_MAX_AGENT = 500

LinkTable = Callable[[str], Sequence[str | None]]


@dataclass(frozen=True, slots=True)
class VariantInfo:
    """What the redirect needs to know about a variant, read once per process and minute."""

    links: tuple[str | None, ...]
    add_utm: bool
    utm_source: str
    utm_campaign: str
    utm_content: str
    channel: Channel


def campaign_slug(name: str, campaign_id: int) -> str:
    """The campaign's `utm_campaign`: its name in lowercase words, and its id so that it is unique."""
    words = _SLUG.sub("-", name.lower()).strip("-")[:60].strip("-")
    return f"{words}-{campaign_id}" if words else str(campaign_id)


def load_variant_info(session: Session, delivery: TrackedDelivery, link_table: LinkTable) -> VariantInfo | None:
    """Read a variant, its campaign and the workspace's tracking settings; None if gone."""
    row = session.execute(
        select(MessageVariant.html, MessageVariant.name, Campaign.name, Campaign.id)
        .join(Campaign, Campaign.id == MessageVariant.campaign_id)
        .where(MessageVariant.workspace_id == delivery.workspace_id, MessageVariant.id == delivery.variant_id,
               Campaign.workspace_id == delivery.workspace_id, Campaign.id == delivery.campaign_id)).first()
    if row is None:
        return None
    html, variant_name, campaign_name, campaign_id = row
    settings = get_tracking_settings(session, workspace_id=delivery.workspace_id)
    return VariantInfo(links=tuple(link_table(html)), add_utm=settings.add_utm, utm_source=settings.utm_source,
                       utm_campaign=campaign_slug(campaign_name, campaign_id), utm_content=variant_name,
                       channel=Channel.EMAIL)


class VariantCache:
    """Variant infos of this process, each kept `_CACHE_SECONDS` (settings changes show within a minute)."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], tuple[float, VariantInfo | None]] = {}
        self._lock = threading.Lock()

    def get(self, delivery: TrackedDelivery) -> tuple[bool, VariantInfo | None]:
        """(known, info): known False when it must be loaded."""
        found = self._found.get((delivery.workspace_id, delivery.variant_id))
        if found is None or time.monotonic() - found[0] > _CACHE_SECONDS:
            return False, None
        return True, found[1]

    def put(self, delivery: TrackedDelivery, info: VariantInfo | None) -> None:
        with self._lock:
            if len(self._found) > 10_000:
                self._found.clear()
            self._found[(delivery.workspace_id, delivery.variant_id)] = (time.monotonic(), info)


def original_url(click: ClickToken, info: VariantInfo) -> str | None:
    """The link as it was in the message, if it is one Kempen redirects to (http or https, with a host)."""
    url = click.url
    if url is None:
        if not 0 <= click.link_index < len(info.links):
            return None
        url = info.links[click.link_index]
    return url if url is not None and _redirectable(url) else None


@lru_cache(maxsize=4096)
def _redirectable(url: str) -> bool:
    # Parsed once per distinct URL: static links repeat on every click of a campaign.
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def destination(url: str, click: ClickToken, info: VariantInfo) -> str:
    """The URL to redirect to: UTM parameters added (those in the link kept) and the click id."""
    key = (url, info.add_utm, info.utm_source, info.utm_campaign, info.utm_content, info.channel)
    found = _with_utm.get(key)
    if found is None:
        if len(_with_utm) > 50_000:
            _with_utm.clear()
        found = _with_utm[key] = _add_utm(url, info)
    head, fragment = found
    d = click.delivery
    click_id = make_click_id(workspace_id=d.workspace_id, delivery_id=d.delivery_id, contact_id=d.contact_id,
                             campaign_id=d.campaign_id, variant_id=d.variant_id)
    # The click id is URL-safe base64 and a dot: nothing to quote.
    return f"{head}{CLICK_ID_PARAMETER}={click_id}{fragment}"


# URL and UTM values -> (the URL up to where the click id goes, "#fragment" or ""): parsed once per link.
_with_utm: dict[tuple[str, bool, str, str, str, Channel], tuple[str, str]] = {}


def _add_utm(url: str, info: VariantInfo) -> tuple[str, str]:
    parts = urlsplit(url)
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra: list[tuple[str, str]] = []
    if info.add_utm:
        extra += [(k, v) for k, v in (("utm_source", info.utm_source), ("utm_medium", info.channel.value),
                                      ("utm_campaign", info.utm_campaign), ("utm_content", info.utm_content))
                  if k not in present and v]
    added = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in extra)
    query = "&".join(q for q in (parts.query, added) if q)
    head = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return f"{head}{'&' if query else '?'}", f"#{parts.fragment}" if parts.fragment else ""


def event_row(kind: TouchKind, delivery: TrackedDelivery, *, url: str | None = None, link_index: int | None = None,
              machine: str | None = None, user_agent: str | None = None, ip: str | None = None,
              at: datetime | None = None) -> dict[str, Any]:
    """A `tracking_events` row for the recorder (every column given, so groups insert as one statement)."""
    return {
        "workspace_id": delivery.workspace_id, "kind": kind, "occurred_at": at or datetime.now(UTC),
        "campaign_id": delivery.campaign_id, "message_id": delivery.message_id, "variant_id": delivery.variant_id,
        "delivery_id": delivery.delivery_id, "contact_id": delivery.contact_id, "channel": Channel.EMAIL,
        "url": url, "link_index": link_index, "machine": machine is not None, "machine_reason": machine,
        "user_agent": (user_agent or None) and user_agent[:_MAX_AGENT], "ip": ip,
    }
