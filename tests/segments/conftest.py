"""A small, varied workspace per backend for the segment compiler tests, with its segments and a fixed `now`.

Built once per module and backend in its own workspace (so no other test sees it): 40 contacts
with missing values, odd casing and LIKE metacharacters; custom fields (one holding a wrong-typed
value); orders of every status with line items; events with free-form properties; tags, lists,
consents and suppressions; timestamps exactly on day boundaries; two lead-score rules.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kempen.accounts import service as accounts
from kempen.models import (
    Consent,
    Contact,
    ContactList,
    ContactTag,
    CustomFieldDefinition,
    CustomFieldType,
    Event,
    LeadScoreRule,
    ListMembership,
    Order,
    OrderItem,
    Segment,
    Suppression,
    Tag,
)
from kempen.segments import rules
from kempen.segments.evaluator import Dataset, load_dataset
from kempen.segments.fields import FieldCatalogue, catalogue_for
from kempen.segments.metrics import recompute_metrics

NOW = datetime(2025, 6, 15, 12, 0, 0, tzinfo=UTC)
COUNTRIES = ["MY", "ET", "KE", "NL", None]
STAGES = ["subscriber", "lead", "customer", "customer", "evangelist"]
CATEGORIES = ["shoes", "apparel", "gear_%", None]
STATUSES = ["paid", "paid", "fulfilled", "pending", "cancelled", "refunded"]
EVENT_NAMES = ["page_view", "app_open", "signup", "email_click", "add_to_cart"]
URLS = ["/pricing", "/", "/blog/100%_trail", "/PRICING/plans", "/cart"]
CAMPAIGNS = ["spring-sale", "winback", "welcome-series"]
TAGS = ["vip", "newsletter", "50%_off"]
LISTS = ["newsletter-paused", "beta"]
SEGMENTS: dict[str, dict[str, Any]] = {
    "high-value": {"type": "compare", "field": "total_spent", "op": ">", "value": 200},
    "recent-app": {"type": "ever", "event": "app_open", "window": {"amount": 7, "unit": "d"}},
    "malaysian-high-value": {"type": "and", "rules": [
        {"type": "in_segment", "name": "high-value"}, {"type": "compare", "field": "country", "op": "=", "value": "MY"}]},
}
LEAD_RULES = [
    ("vip", {"type": "tag", "name": "vip"}, 10),
    ("repeat buyer", {"type": "aggregate", "source": "orders", "function": "count", "op": ">=", "value": 2}, 5),
    ("champion", {"type": "compare", "field": "rfm", "op": "in", "value": ["champions", "loyal"]}, 7),
]


CUSTOM_FIELDS = [("plan", CustomFieldType.CHOICE, ["free", "pro", "enterprise"]),
                 ("score", CustomFieldType.NUMBER, None), ("vip", CustomFieldType.BOOLEAN, None),
                 ("birthday", CustomFieldType.DATE, None), ("nickname", CustomFieldType.TEXT, None)]
CATALOGUE = catalogue_for(CustomFieldDefinition(key=key, label=key, field_type=kind, choices=choices)
                          for key, kind, choices in CUSTOM_FIELDS)


@dataclass
class SegmentWorld:
    """The dataset's workspace, as the tests need it."""

    engine: Engine
    workspace_id: int
    catalogue: FieldCatalogue
    data: Dataset
    now: datetime = NOW

    def resolve(self, name: str) -> rules.Rule:
        return rules.rule_from_json(SEGMENTS[name])

    def session(self) -> Session:
        return sessionmaker(bind=self.engine, expire_on_commit=False)()


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    # Quarters only: sums are exact in binary floating point too (SQLite stores REAL).
    return Decimal(rng.randint(low * 4, high * 4)) / 4


BOUNDARY_DAYS = [0, 1, 7, 30, 60, 90, 365]


def _when(rng: random.Random, days: int) -> datetime:
    if rng.random() < 0.3:  # on, or a microsecond either side of, a boundary the rules use (`last 7d`, `> 60`)
        day = rng.choice([d for d in BOUNDARY_DAYS if d <= days])
        return NOW - timedelta(days=day, microseconds=rng.choice([-1, 0, 1]))
    return NOW - timedelta(seconds=rng.randint(-3600, days * 86400))


def _custom_fields(rng: random.Random, index: int) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if rng.random() < 0.7:
        fields["plan"] = rng.choice(["free", "pro", "enterprise"])
    if rng.random() < 0.6:
        fields["score"] = rng.choice([0, 3, 7.5, 10, 42])
    if index == 7:
        fields["score"] = "n/a"  # a wrong-typed value: reads as unset, never a cast error
    if rng.random() < 0.5:
        fields["vip"] = rng.random() < 0.5
    if rng.random() < 0.5:
        fields["birthday"] = f"19{rng.randint(60, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.4:
        fields["nickname"] = rng.choice(["Ace", "ace", "Bo_b", "100%", "Zed"])
    return fields


def _contact(rng: random.Random, ws: int, index: int) -> Contact:
    domain = rng.choice(["example.com", "Example.COM", "example.org", "mail.my"])
    email = None if rng.random() < 0.15 else f"User{index}@{domain}"
    return Contact(
        workspace_id=ws, external_id=None if rng.random() < 0.3 else f"ext-{index}", email=email,
        email_normalized=email.lower() if email else None,
        phone=None if rng.random() < 0.4 else f"+6012{index:07d}",
        first_name=rng.choice(["Ann", "ann", "Bo_b", "Cé", None]), last_name=rng.choice(["Lee", "50% Off", None]),
        country=rng.choice(COUNTRIES), city=rng.choice(["Kuala Lumpur", "Addis Ababa", None]),
        language=rng.choice(["en", "ms", None]), lifecycle_stage=rng.choice(STAGES),
        lead_source=rng.choice(["ads", "referral", None]), custom_fields=_custom_fields(rng, index),
        created_at=_when(rng, 400), updated_at=_when(rng, 30))


def _orders(rng: random.Random, session: Session, ws: int, contact: Contact, index: int) -> None:
    for n in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
        order = Order(workspace_id=ws, external_id=f"o-{index}-{n}", contact_id=contact.id,
                      placed_at=_when(rng, 400), amount=_money(rng, 5, 300), currency=rng.choice(["MYR", "USD"]),
                      status=rng.choice(STATUSES), channel=rng.choice(["web", "store", None]))
        session.add(order)
        session.flush()
        for k in range(rng.randint(1, 3)):
            session.add(OrderItem(workspace_id=ws, order_id=order.id, sku=f"SKU-{rng.randint(1, 4)}",
                                  name=rng.choice(["Trail Shoe", "Rain Jacket", "Sock"]) + f" {k}",
                                  category=rng.choice(CATEGORIES), quantity=rng.randint(1, 3),
                                  price=_money(rng, 5, 100)))


def _events(rng: random.Random, session: Session, ws: int, contact: Contact, index: int) -> None:
    for n in range(rng.choice([0, 1, 3, 6, 9])):
        name = rng.choice(EVENT_NAMES)
        props: dict[str, Any] = {
            "page_view": lambda: {"url": rng.choice(URLS)},
            "app_open": lambda: {"platform": rng.choice(["ios", "android"]), "build": rng.choice([40, 41, 42])},
            "signup": lambda: {"method": rng.choice(["email", "google"])},
            "email_click": lambda: {"campaign": rng.choice(CAMPAIGNS), "url": rng.choice(URLS)},
            "add_to_cart": lambda: {"sku": f"SKU-{rng.randint(1, 4)}", "quantity": rng.choice([1, 2, 3, "two"])},
        }[name]()
        session.add(Event(workspace_id=ws, contact_id=contact.id, name=name, occurred_at=_when(rng, 60),
                          properties=props, source=rng.choice(["web", "app", None]),
                          idempotency_key=f"e-{index}-{n}-{uuid.uuid4().hex[:6]}"))


def _memberships(rng: random.Random, session: Session, ws: int, contacts: list[Contact]) -> None:
    tags = [Tag(workspace_id=ws, name=name) for name in TAGS]
    lists = [ContactList(workspace_id=ws, name=name) for name in LISTS]
    session.add_all([*tags, *lists])
    session.flush()
    for contact in contacts:
        session.add_all([ContactTag(workspace_id=ws, contact_id=contact.id, tag_id=t.id)
                         for t in tags if rng.random() < 0.35])
        session.add_all([ListMembership(workspace_id=ws, contact_id=contact.id, list_id=x.id)
                         for x in lists if rng.random() < 0.3])
        for channel in ("email", "sms", "push"):
            if rng.random() < 0.6:
                session.add(Consent(workspace_id=ws, contact_id=contact.id, channel=channel,
                                    status=rng.choice(["granted", "granted", "denied", "unsubscribed"])))
        if contact.email_normalized and rng.random() < 0.2:
            session.add(Suppression(workspace_id=ws, channel="email", address=contact.email_normalized,
                                    reason="bounced"))
        if contact.phone and rng.random() < 0.2:
            session.add(Suppression(workspace_id=ws, channel="sms", address=contact.phone, reason="manual"))


def build_world(engine: Engine, seed: int = 20250615, contacts: int = 40) -> SegmentWorld:
    """Create the dataset in a fresh workspace, recompute metrics, commit and read it back."""
    rng = random.Random(seed)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        slug = f"seg-{uuid.uuid4().hex[:10]}"
        ws = accounts.create_workspace(session, name=slug, slug=slug).id
        definitions = [CustomFieldDefinition(workspace_id=ws, key=key, label=key, field_type=kind, choices=choices)
                       for key, kind, choices in CUSTOM_FIELDS]
        session.add_all(definitions)
        people = [_contact(rng, ws, i) for i in range(contacts)]
        session.add_all(people)
        session.flush()
        for i, person in enumerate(people):
            _orders(rng, session, ws, person, i)
            _events(rng, session, ws, person, i)
        _memberships(rng, session, ws, people)
        for name, rule in SEGMENTS.items():
            session.add(Segment(workspace_id=ws, name=name, rule=rule, rule_text=name))
        for name, rule, points in LEAD_RULES:
            session.add(LeadScoreRule(workspace_id=ws, name=name, rule=rule, rule_text=name, points=points))
        session.flush()
        recompute_metrics(session, workspace_id=ws, now=NOW)
        session.commit()
        return SegmentWorld(engine, ws, catalogue_for(definitions), load_dataset(session, ws))


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[SegmentWorld]:
    """The dataset on this backend (one per test module and backend)."""
    yield build_world(engine)


@pytest.fixture
def members(world: SegmentWorld) -> Iterator[Callable[[rules.Rule], set[int]]]:
    """Run a rule's compiled members query on the dataset."""
    from kempen.segments.compiler import members_query

    with world.session() as session:
        def run(rule: rules.Rule) -> set[int]:
            stmt = members_query(rule, workspace_id=world.workspace_id, catalogue=world.catalogue,
                                 now=world.now, resolve_segment=world.resolve)
            return set(session.scalars(stmt))
        yield run
