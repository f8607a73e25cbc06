"""Consents per channel, the suppression list, tags and static list memberships of one chunk."""

from __future__ import annotations

import numpy as np

from kempen.demo.common import DAY, Columns, DemoContext, IdRange, weighted_choice
from kempen.demo.contacts import ContactChunk
from kempen.demo.timestamps import to_datetime_strings

# (status or None for "never asked", weight) per channel; most people allow email, fewer SMS or push.
_CONSENT_MIX = {
    "email": (("granted", 0.86), ("unsubscribed", 0.07), ("denied", 0.03), (None, 0.04)),
    "sms": (("granted", 0.42), ("unsubscribed", 0.06), ("denied", 0.2), (None, 0.32)),
    "push": (("granted", 0.24), ("denied", 0.08), (None, 0.68)),
}
_CONSENT_SOURCES = ("signup_form", "checkout", "preference_center", "import")


def _stamp(rng: np.random.Generator, created: np.ndarray, anchor: int, max_days: float) -> np.ndarray:
    return np.minimum(created + (rng.random(len(created)) * max_days * DAY).astype(np.int64), anchor - 1)


def _concat(parts: list[Columns]) -> Columns:
    keys = parts[0].keys()
    return {key: [value for part in parts for value in part[key]] for key in keys}


def generate_consents(rng: np.random.Generator, ctx: DemoContext, chunk: ContactChunk,
                      dialect: str) -> tuple[Columns, np.ndarray]:
    """Return the consent rows and, per contact, its email consent status index (for suppressions)."""
    size = len(chunk.ids)
    parts: list[Columns] = []
    email_status = np.zeros(0)
    for channel, mix in _CONSENT_MIX.items():
        status = weighted_choice(rng, [w for _, w in mix], size)
        if channel == "email":
            email_status = status
        labels = np.asarray([s for s, _ in mix], dtype=object)
        keep = labels[status] != None  # noqa: E711 - elementwise comparison on an object array
        if channel == "sms":
            keep &= chunk.has_phone
        where = np.flatnonzero(keep)
        recorded = _stamp(rng, chunk.created[where], ctx.anchor, 60)
        parts.append({
            "workspace_id": [ctx.workspace_id] * len(where), "contact_id": chunk.ids[where].tolist(),
            "channel": [channel] * len(where), "status": labels[status[where]].tolist(),
            "source": np.asarray(_CONSENT_SOURCES, dtype=object)[
                weighted_choice(rng, [0.6, 0.25, 0.1, 0.05], len(where))].tolist(),
            "recorded_at": to_datetime_strings(recorded, dialect),
        })
    return _concat(parts), email_status


def generate_suppressions(rng: np.random.Generator, ctx: DemoContext, chunk: ContactChunk, email_status: np.ndarray,
                          ids: IdRange, dialect: str) -> Columns:
    """Suppress the addresses of email unsubscribers, plus a few that bounced or complained."""
    size = len(chunk.ids)
    u = rng.random(size)
    reason = np.select([email_status == 1, u < 0.002, u < 0.017], ["unsubscribed", "complained", "bounced"], "")
    where = np.flatnonzero(reason != "")
    emails = np.asarray(chunk.email_normalized, dtype=object)[where]
    return {
        "id": ids.take(len(where)).tolist(), "workspace_id": [ctx.workspace_id] * len(where),
        "channel": ["email"] * len(where), "address": emails.tolist(), "reason": reason[where].tolist(),
        "note": [""] * len(where),
        "created_at": to_datetime_strings(_stamp(rng, chunk.created[where], ctx.anchor, 300), dialect),
    }


def _tag_masks(rng: np.random.Generator, chunk: ContactChunk, company: np.ndarray, anchor: int) -> dict[str, np.ndarray]:
    size = len(chunk.ids)
    u = rng.random((7, size))
    buyer = chunk.n_orders > 0
    return {
        "vip": chunk.n_orders >= 7,
        "wholesale": (company != None) & (u[0] < 0.35),  # noqa: E711 - elementwise on an object array
        "influencer": u[1] < 0.005,
        "early-adopter": (anchor - chunk.created > 3 * 365 * DAY) & (u[2] < 0.25),
        "marathoner": u[3] < 0.03,
        "gift-buyer": buyer & (u[4] < 0.05),
        "price-sensitive": u[5] < 0.06,
    }


def generate_tags(rng: np.random.Generator, ctx: DemoContext, chunk: ContactChunk, dialect: str) -> Columns:
    """Tag contacts: VIPs are the frequent buyers, wholesale ones work for a company, the rest at random."""
    company = np.asarray(chunk.columns["company_id"], dtype=object)
    parts = []
    for name, mask in _tag_masks(rng, chunk, company, ctx.anchor).items():
        where = np.flatnonzero(mask)
        parts.append({
            "workspace_id": [ctx.workspace_id] * len(where), "contact_id": chunk.ids[where].tolist(),
            "tag_id": [ctx.tag_ids[name]] * len(where),
            "created_at": to_datetime_strings(_stamp(rng, chunk.created[where], ctx.anchor, 200), dialect),
        })
    return _concat(parts)


def generate_list_memberships(rng: np.random.Generator, ctx: DemoContext, chunk: ContactChunk,
                              email_status: np.ndarray, dialect: str) -> Columns:
    """Put a few contacts on the static lists (paused newsletter readers, beta testers, event invitees)."""
    size = len(chunk.ids)
    u = rng.random((3, size))
    masks = {
        "newsletter-paused": (email_status == 0) & (u[0] < 0.03),
        "beta testers": u[1] < 0.015,
        "store event invitees": (chunk.n_orders > 1) & (u[2] < 0.04),
    }
    parts = []
    for name, mask in masks.items():
        where = np.flatnonzero(mask)
        parts.append({
            "workspace_id": [ctx.workspace_id] * len(where), "list_id": [ctx.list_ids[name]] * len(where),
            "contact_id": chunk.ids[where].tolist(),
            "created_at": to_datetime_strings(_stamp(rng, chunk.created[where], ctx.anchor, 300), dialect),
        })
    return _concat(parts)
