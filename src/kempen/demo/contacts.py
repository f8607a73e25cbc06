"""Contacts of one chunk, generated column by column, with the hidden traits that drive their orders and events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kempen.demo import names
from kempen.demo.common import DAY, Columns, DemoContext, IdRange, as_strings, pad_numbers, weighted_choice
from kempen.demo.timestamps import to_datetime_strings

# Contacts joined over the last four years, more of them recently (the shop grows).
HISTORY_DAYS = 4 * 365
# Phone numbers come from a bijection of the contact number, so they are unique per country for runs of
# up to (prefixes × 10^digits) contacts; 2654435761 is prime, hence coprime with every capacity here.
_PHONE_MULTIPLIER = 2_654_435_761


@dataclass
class ContactChunk:
    """The contacts of a chunk: their table columns and the traits later generators need."""

    ids: np.ndarray
    numbers: np.ndarray
    country: np.ndarray
    created: np.ndarray
    n_orders: np.ndarray
    churned_at: np.ndarray
    activity: np.ndarray
    has_phone: np.ndarray
    email_normalized: list[str]
    phone: list[str | None]
    columns: Columns


class _Flat:
    """One country-indexed list of names flattened into a single array, for vectorised lookups."""

    def __init__(self, per_country: list[tuple[str, ...]]) -> None:
        self.values = np.asarray([v for values in per_country for v in values], dtype=object)
        self.lengths = np.asarray([len(values) for values in per_country])
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])

    def pick(self, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        u = rng.random(len(country))
        return self.offsets[country] + (u * self.lengths[country]).astype(np.int64)


_FIRST = _Flat([c.first_names for c in names.COUNTRIES])
_LAST = _Flat([c.last_names for c in names.COUNTRIES])
_CITY = _Flat([tuple(city for city, _ in c.cities) for c in names.COUNTRIES])
_ZONE = np.asarray([zone for c in names.COUNTRIES for _, zone in c.cities], dtype=object)
_FIRST_SLUG = np.asarray([names.ascii_slug(v) for v in _FIRST.values], dtype=object)
_LAST_SLUG = np.asarray([names.ascii_slug(v) for v in _LAST.values], dtype=object)
_FIRST_DISPLAY = np.asarray([names.display_name(v) for v in _FIRST.values], dtype=object)
_LAST_DISPLAY = np.asarray([names.display_name(v) for v in _LAST.values], dtype=object)


def _traits(rng: np.random.Generator, size: int, anchor: int) -> dict[str, np.ndarray]:
    created = anchor - (rng.beta(1.0, 1.6, size) * HISTORY_DAYS * DAY).astype(np.int64) - 1
    age_days = (anchor - created) / DAY
    # Recent sign-ups have had less time to buy; overall about half the contacts never buy.
    buyer = rng.random(size) < 0.6 * (1 - np.exp(-age_days / 45))
    # Repeat purchases are negative binomial: most buy once or twice, a few buy very often.
    mean_extra = 0.4 + 2.4 * np.minimum(age_days, 730) / 730
    extra = rng.negative_binomial(0.55, 0.55 / (0.55 + mean_extra))
    n_orders = np.where(buyer, 1 + np.minimum(extra, 150), 0)
    # A third of everyone went quiet at some point between sign-up and now.
    churned = rng.random(size) < 0.33
    churned_at = np.where(churned, created + (rng.random(size) * (anchor - created)).astype(np.int64), anchor)
    activity = rng.gamma(0.45, 9.0, size) * np.where(buyer, 1.5, 0.6)
    return {"created": created, "n_orders": n_orders, "churned_at": churned_at, "activity": activity}


def _phones(numbers: np.ndarray, country: np.ndarray, seed: int) -> np.ndarray:
    phones = np.empty(len(numbers), dtype=object)
    for index, spec in enumerate(names.COUNTRIES):
        mask = country == index
        if not mask.any():
            continue
        block = 10 ** spec.phone_digits
        # US exchanges may not start with 0 or 1: the first subscriber digit is 2-9.
        lead = 8 * block // 10 if spec.code == "US" else block
        value = (numbers[mask] * _PHONE_MULTIPLIER + seed * 104_729) % (len(spec.phone_prefixes) * lead)
        prefix = np.asarray(spec.phone_prefixes)[value // lead]
        subscriber = value % lead + (2 * block // 10 if spec.code == "US" else 0)
        digits = np.strings.zfill(subscriber.astype(str), spec.phone_digits)
        phones[mask] = np.strings.add(prefix, digits).tolist()
    return phones


def _languages(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    languages = np.empty(len(country), dtype=object)
    for index, spec in enumerate(names.COUNTRIES):
        mask = country == index
        tags = [tag for tag, _ in spec.languages]
        languages[mask] = np.asarray(tags, dtype=object)[weighted_choice(rng, [w for _, w in spec.languages],
                                                                          int(mask.sum()))]
    return languages


def _emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, numbers: np.ndarray,
            domain: str) -> tuple[list[str], list[str]]:
    f, la = _FIRST_SLUG[first], _LAST_SLUG[last]
    style = rng.integers(0, 3, len(first))
    suffix = np.strings.add(numbers.astype(str), "@" + domain).astype(object)
    initial = np.asarray([s[:1] for s in f], dtype=object)
    local = np.where(style == 0, f + "." + la + ".", np.where(style == 1, f + la, initial + la))
    normalized = (local + suffix).tolist()
    # Some people type their address with capitals; the identity key is always lower case.
    capitalised = rng.random(len(first)) < 0.08
    display = [e.title() if cap else e for e, cap in zip(normalized, capitalised.tolist(), strict=True)]
    return display, normalized


def _companies(rng: np.random.Generator, ctx: DemoContext, country: np.ndarray) -> list[int | None]:
    """Give about one contact in eight an employer in their own country (the B2B share)."""
    size = len(country)
    company = np.full(size, None, dtype=object)
    if not len(ctx.company_ids):
        return company.tolist()
    # Companies are sorted by country, so each country's companies are one slice.
    starts = np.searchsorted(ctx.company_country, np.arange(len(names.COUNTRIES)), side="left")
    ends = np.searchsorted(ctx.company_country, np.arange(len(names.COUNTRIES)), side="right")
    counts = (ends - starts)[country]
    b2b = (rng.random(size) < 0.12) & (counts > 0)
    picks = starts[country] + rng.integers(0, 1 << 30, size) % np.maximum(counts, 1)
    company[b2b] = ctx.company_ids[picks[b2b]].tolist()
    return company.tolist()


def _custom_fields(rng: np.random.Generator, n_orders: np.ndarray) -> list[str]:
    """Return each contact's custom fields as JSON text (built directly: a million dicts would be slow)."""
    size = len(n_orders)
    tier = np.digitize(n_orders, [2, 4, 8])
    has_tier = (n_orders > 0) & (rng.random(size) < 0.7)
    birthday = np.datetime64("1955-01-01") + rng.integers(0, 52 * 365, size).astype("m8[D]")
    has_birthday = rng.random(size) < 0.35
    shoe = 36 + rng.integers(0, 23, size) / 2
    has_shoe = rng.random(size) < 0.25
    topic_a, topic_b = rng.integers(0, len(names.NEWSLETTER_TOPICS), (2, size))
    has_topics = rng.random(size) < 0.18
    tiers = [f'"loyalty_tier": "{names.LOYALTY_TIERS[t]}"' for t in tier.tolist()]
    days = [f'"birthday": "{d}"' for d in np.datetime_as_string(birthday).tolist()]
    shoes = [f'"shoe_size": {s:g}' for s in shoe.tolist()]
    topics = [f'"newsletter_topics": "{", ".join(sorted({names.NEWSLETTER_TOPICS[a], names.NEWSLETTER_TOPICS[b]}))}"'
              for a, b in zip(topic_a.tolist(), topic_b.tolist(), strict=True)]
    out = []
    for row in zip(has_tier.tolist(), tiers, has_birthday.tolist(), days, has_shoe.tolist(), shoes,
                   has_topics.tolist(), topics, strict=True):
        parts = [row[k + 1] for k in range(0, 8, 2) if row[k]]
        out.append("{" + ", ".join(parts) + "}")
    return out


def _lifecycle(rng: np.random.Generator, n_orders: np.ndarray) -> list[str]:
    stages = [stage for stage, _ in names.LIFECYCLE_NON_BUYER]
    non_buyer = weighted_choice(rng, [w for _, w in names.LIFECYCLE_NON_BUYER], len(n_orders))
    labels = np.asarray(stages + ["customer", "evangelist"], dtype=object)
    evangelist = (n_orders >= 5) & (rng.random(len(n_orders)) < 0.3)
    index = np.where(n_orders > 0, np.where(evangelist, len(stages) + 1, len(stages)), non_buyer)
    return labels[index].tolist()


def generate_contacts(rng: np.random.Generator, ctx: DemoContext, numbers: np.ndarray, ids: IdRange,
                      dialect: str) -> ContactChunk:
    """Generate the contacts with demo numbers `numbers` (consecutive), taking their ids from `ids`."""
    size = len(numbers)
    country = weighted_choice(rng, [c.weight for c in names.COUNTRIES], size)
    traits = _traits(rng, size, ctx.anchor)
    first, last, city = _FIRST.pick(rng, country), _LAST.pick(rng, country), _CITY.pick(rng, country)
    email, email_normalized = _emails(rng, first, last, numbers, ctx.email_domain)
    has_phone = rng.random(size) < 0.72
    phones = _phones(numbers, country, ctx.seed)
    phones[~has_phone] = None
    phone = phones.tolist()
    created = to_datetime_strings(traits["created"], dialect)
    contact_ids = ids.take(size)
    columns: Columns = {
        "id": contact_ids.tolist(), "workspace_id": [ctx.workspace_id] * size,
        "external_id": [ctx.external_prefix() + n for n in pad_numbers(numbers)],
        "email": email, "email_normalized": email_normalized, "phone": phone,
        "first_name": _FIRST_DISPLAY[first].tolist(), "last_name": _LAST_DISPLAY[last].tolist(),
        "country": as_strings(country, [c.code for c in names.COUNTRIES]),
        "city": _CITY.values[city].tolist(), "time_zone": _ZONE[city].tolist(),
        "language": _languages(rng, country).tolist(), "lifecycle_stage": _lifecycle(rng, traits["n_orders"]),
        "lead_source": as_strings(weighted_choice(rng, [w for _, w in names.LEAD_SOURCES], size),
                                  [s for s, _ in names.LEAD_SOURCES]),
        "company_id": _companies(rng, ctx, country), "custom_fields": _custom_fields(rng, traits["n_orders"]),
        "created_at": created, "updated_at": created,
    }
    return ContactChunk(ids=contact_ids, numbers=numbers, country=country, created=traits["created"],
                        n_orders=traits["n_orders"], churned_at=traits["churned_at"], activity=traits["activity"],
                        has_phone=has_phone, email_normalized=email_normalized, phone=phone, columns=columns)
