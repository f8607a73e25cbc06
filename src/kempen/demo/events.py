"""Behavioural events over the last year: a heavy-tailed number per contact, within each contact's active window.

Properties are drawn from a small vocabulary of pre-serialised JSON texts per event name, so millions of
events cost an index lookup each rather than a dict and a serialisation.
"""

from __future__ import annotations

import json

import numpy as np

from kempen.demo import names
from kempen.demo.common import DAY, Columns, DemoContext, IdRange, pad_numbers, rank_in_group, weighted_choice
from kempen.demo.contacts import ContactChunk
from kempen.demo.timestamps import to_datetime_strings

WINDOW_DAYS = 365
_SKUS = [sku for sku, _, _, _ in names.CATALOGUE]
_CATEGORY_NAMES = list(names.CATEGORY_WEIGHTS)
_PAGES = (
    [("/", 12.0), ("/pricing", 6.0), ("/cart", 5.0), ("/account", 4.0), ("/blog/choosing-trail-shoes", 3.0),
     ("/blog/first-marathon-plan", 2.0), ("/stores", 2.0)]
    + [(f"/collections/{cat}", 15.0 / len(_CATEGORY_NAMES)) for cat in _CATEGORY_NAMES]
    + [(f"/products/{sku.lower()}", 48.0 / len(_SKUS)) for sku in _SKUS]
)
_CAMPAIGNS = ("welcome-series", "spring-sale", "new-arrivals", "back-in-stock", "loyalty-rewards", "winback")
_QUERIES = ("trail shoes", "running socks", "gps watch", "rain jacket", "yoga mat", "kids shoes", "sale")


def _vocabulary(pairs: list[tuple[dict[str, object], float]]) -> tuple[np.ndarray, np.ndarray]:
    texts = np.asarray([json.dumps(props) for props, _ in pairs], dtype=object)
    weights = np.asarray([w for _, w in pairs], dtype=float)
    return texts, weights / weights.sum()


# name: (weight, source, property texts, their weights)
_EVENT_TYPES: dict[str, tuple[float, str, tuple[np.ndarray, np.ndarray]]] = {
    "page_view": (0.55, "web", _vocabulary([({"url": url}, w) for url, w in _PAGES])),
    "app_open": (0.14, "app", _vocabulary([({"platform": p, "app_version": v}, w)
                                           for p, pw in (("ios", 0.45), ("android", 0.55))
                                           for v, w in (("4.2.0", 0.5 * pw), ("4.1.3", 0.3 * pw), ("3.9.8", 0.2 * pw))])),
    "search": (0.07, "web", _vocabulary([({"query": q}, 1.0) for q in _QUERIES])),
    "add_to_cart": (0.1, "web", _vocabulary([({"sku": sku, "category": cat, "quantity": 1}, 1.0)
                                             for sku, _, cat, _ in names.CATALOGUE])),
    "checkout_started": (0.05, "web", _vocabulary([({"items": k}, w) for k, w in ((1, 5), (2, 3), (3, 1.5), (4, 1))])),
    "email_click": (0.09, "esp", _vocabulary([({"campaign": c, "url": "/collections/" + _CATEGORY_NAMES[i % 6]}, 1.0)
                                              for i, c in enumerate(_CAMPAIGNS)])),
}
_SIGNUP = _vocabulary([({"method": m}, w) for m, w in (("email", 0.7), ("google", 0.2), ("apple", 0.1))])
_NAMES = np.asarray(list(_EVENT_TYPES) + ["signup"], dtype=object)
_SOURCES = np.asarray([source for _, source, _ in _EVENT_TYPES.values()] + ["web"], dtype=object)


def _schedule(rng: np.random.Generator, chunk: ContactChunk, anchor: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (owner position, occurred_at, event type index) per event, sorted by owner then time."""
    start = np.maximum(chunk.created, anchor - WINDOW_DAYS * DAY)
    end = np.minimum(chunk.churned_at, anchor)
    span = np.maximum(end - start, 0)
    counts = rng.poisson(chunk.activity * span / (WINDOW_DAYS * DAY))
    # Contacts who joined within the window signed up in it: one signup event at their creation time.
    signed_up = chunk.created >= anchor - WINDOW_DAYS * DAY
    owner = np.repeat(np.arange(len(counts)), counts)
    occurred = start[owner] + (rng.random(len(owner)) * span[owner]).astype(np.int64)
    kind = weighted_choice(rng, [w for w, _, _ in _EVENT_TYPES.values()], len(owner))
    signup_owner = np.flatnonzero(signed_up)
    owner = np.concatenate([owner, signup_owner])
    occurred = np.concatenate([occurred, chunk.created[signup_owner]])
    kind = np.concatenate([kind, np.full(len(signup_owner), len(_EVENT_TYPES))])
    order = np.lexsort((occurred, owner))
    return owner[order], np.minimum(occurred[order], anchor - 1), kind[order]


def _properties(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    properties = np.empty(len(kind), dtype=object)
    vocabularies = [vocab for _, _, vocab in _EVENT_TYPES.values()] + [_SIGNUP]
    for index, (texts, weights) in enumerate(vocabularies):
        mask = kind == index
        properties[mask] = texts[rng.choice(len(texts), size=int(mask.sum()), p=weights)]
    return properties


def generate_events(rng: np.random.Generator, ctx: DemoContext, chunk: ContactChunk, event_ids: IdRange,
                    dialect: str) -> Columns:
    """Generate a chunk's events, with idempotency keys derived from contact number and sequence."""
    owner, occurred, kind = _schedule(rng, chunk, ctx.anchor)
    counts = np.bincount(owner, minlength=len(chunk.ids))
    sequence = rank_in_group(counts).tolist()
    numbers = pad_numbers(chunk.numbers[owner])
    prefix = ctx.external_prefix()
    occurred_text = to_datetime_strings(occurred, dialect)
    return {
        "id": event_ids.take(len(owner)).tolist(), "workspace_id": [ctx.workspace_id] * len(owner),
        "contact_id": chunk.ids[owner].tolist(), "name": _NAMES[kind].tolist(), "occurred_at": occurred_text,
        "properties": _properties(rng, kind).tolist(), "source": _SOURCES[kind].tolist(),
        "idempotency_key": [f"{prefix}{n}-e{k}" for n, k in zip(numbers, sequence, strict=True)],
        # Demo events arrive as they happen.
        "received_at": occurred_text,
    }
