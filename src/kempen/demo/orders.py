"""Purchase histories: orders spread over each buyer's active window, with one to four line items each.

Amounts are in the contact's local currency (MYR for Malaysia, EUR for Germany, …): a multi-country shop
prices locally, and reports must not assume one currency. Each order's amount is the sum of its items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kempen.demo import names
from kempen.demo.common import DAY, Columns, DemoContext, IdRange, as_strings, pad_numbers, rank_in_group
from kempen.demo.contacts import ContactChunk
from kempen.demo.timestamps import to_datetime_strings

CHANNELS = ("web", "app", "store")
_CHANNEL_WEIGHTS = np.array([0.55, 0.3, 0.15])
_ITEM_COUNT_WEIGHTS = np.array([0.55, 0.27, 0.12, 0.06])
_SKUS = np.asarray([sku for sku, _, _, _ in names.CATALOGUE], dtype=object)
_PRODUCT_NAMES = np.asarray([name for _, name, _, _ in names.CATALOGUE], dtype=object)
_CATEGORIES = np.asarray([cat for _, _, cat, _ in names.CATALOGUE], dtype=object)
_USD_PRICES = np.asarray([price for _, _, _, price in names.CATALOGUE])
_CATEGORY_SIZES = {cat: sum(1 for c in _CATEGORIES if c == cat) for cat in names.CATEGORY_WEIGHTS}
_PRODUCT_WEIGHTS = np.asarray([names.CATEGORY_WEIGHTS[c] / _CATEGORY_SIZES[c] for c in _CATEGORIES])
_PRODUCT_WEIGHTS /= _PRODUCT_WEIGHTS.sum()
_PRICE_FACTOR = np.asarray([c.price_factor for c in names.COUNTRIES])
_PRICE_STEP = np.asarray([c.price_step for c in names.COUNTRIES])
_CURRENCIES = [c.currency for c in names.COUNTRIES]


@dataclass
class OrderRows:
    """The orders and items of one chunk, ready for the writer."""

    orders: Columns
    items: Columns

    @property
    def order_count(self) -> int:
        return len(self.orders["id"])


def _placed_at(rng: np.random.Generator, chunk: ContactChunk, anchor: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner position in chunk, placed_at) per order, sorted by owner then time."""
    counts = chunk.n_orders
    owner = np.repeat(np.arange(len(counts)), counts)
    # The first purchase follows sign-up within days; later ones spread until the buyer churned (or now).
    start = np.minimum(chunk.created + (rng.exponential(5.0, len(counts)) * DAY).astype(np.int64), anchor - 3600)
    end = np.maximum(chunk.churned_at, start + DAY)
    offset = rng.random(len(owner))
    offset[rank_in_group(counts) == 0] = 0.0
    placed = start[owner] + (offset * (end - start)[owner]).astype(np.int64)
    placed = np.minimum(placed, anchor - 60)
    order = np.lexsort((placed, owner))
    return owner[order], placed[order]


def _statuses(rng: np.random.Generator, placed: np.ndarray, anchor: int) -> list[str]:
    """Most orders are fulfilled; recent ones are still pending or paid; a few are cancelled or refunded."""
    age_days = (anchor - placed) / DAY
    u = rng.random(len(placed))
    old = np.select([u < 0.03, u < 0.075, u < 0.085], ["cancelled", "refunded", "paid"], "fulfilled")
    week = np.select([u < 0.03, u < 0.6], ["cancelled", "paid"], "fulfilled")
    fresh = np.where(u < 0.25, "pending", "paid")
    return np.where(age_days < 2, fresh, np.where(age_days < 7, week, old)).tolist()


def _items(rng: np.random.Generator, ctx: DemoContext, order_ids: np.ndarray, country: np.ndarray,
           item_ids: IdRange) -> tuple[Columns, np.ndarray]:
    """Return the line item columns and each order's total."""
    per_order = 1 + rng.choice(4, size=len(order_ids), p=_ITEM_COUNT_WEIGHTS)
    parent = np.repeat(np.arange(len(order_ids)), per_order)
    product = rng.choice(len(_SKUS), size=len(parent), p=_PRODUCT_WEIGHTS)
    quantity = 1 + (rng.random(len(parent)) < 0.12).astype(np.int64) + (rng.random(len(parent)) < 0.03)
    item_country = country[parent]
    # Local list price times a little regional and promotional variation, rounded the local way.
    raw = _USD_PRICES[product] * _PRICE_FACTOR[item_country] * rng.lognormal(0.0, 0.12, len(parent))
    step = _PRICE_STEP[item_country]
    price = np.round(np.maximum(np.round(raw / step), 1) * step, 2)
    totals = np.round(np.bincount(parent, weights=price * quantity, minlength=len(order_ids)), 2)
    columns: Columns = {
        "id": item_ids.take(len(parent)).tolist(), "workspace_id": [ctx.workspace_id] * len(parent),
        "order_id": order_ids[parent].tolist(), "sku": _SKUS[product].tolist(),
        "name": _PRODUCT_NAMES[product].tolist(), "category": _CATEGORIES[product].tolist(),
        "quantity": quantity.tolist(), "price": price.tolist(),
    }
    return columns, totals


def generate_orders(rng: np.random.Generator, ctx: DemoContext, chunk: ContactChunk, order_ids: IdRange,
                    item_ids: IdRange, dialect: str) -> OrderRows:
    """Generate the orders and line items of a chunk's buyers."""
    owner, placed = _placed_at(rng, chunk, ctx.anchor)
    ids = order_ids.take(len(owner))
    country = chunk.country[owner]
    items, totals = _items(rng, ctx, ids, country, item_ids)
    numbers = pad_numbers(chunk.numbers[owner])
    sequence = (rank_in_group(chunk.n_orders) + 1).tolist()
    placed_text = to_datetime_strings(placed, dialect)
    orders: Columns = {
        "id": ids.tolist(), "workspace_id": [ctx.workspace_id] * len(ids),
        "external_id": [f"{ctx.external_prefix()}{n}-{k}" for n, k in zip(numbers, sequence, strict=True)],
        "contact_id": chunk.ids[owner].tolist(), "placed_at": placed_text, "amount": totals.tolist(),
        "currency": as_strings(country, _CURRENCIES), "status": _statuses(rng, placed, ctx.anchor),
        "channel": as_strings(rng.choice(3, size=len(ids), p=_CHANNEL_WEIGHTS), CHANNELS),
        "created_at": placed_text,
    }
    return OrderRows(orders=orders, items=items)
