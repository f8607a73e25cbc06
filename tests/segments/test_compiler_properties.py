"""The issue's "done when": random rules select the same contacts in SQL as in the Python reference evaluator.

On every backend (SQLite, and PostgreSQL when configured), for hypothesis-generated rules over a
small varied dataset: the compiled members query equals `evaluate`, and `not R` selects exactly
the contacts `R` does not.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings

from kempen.segments import rules
from kempen.segments.evaluator import evaluate
from tests.segments.conftest import (
    CAMPAIGNS,
    CATALOGUE,
    LISTS,
    SEGMENTS,
    TAGS,
    SegmentWorld,
)
from tests.segments.strategies import RuleValues, leaves
from tests.segments.strategies import rules as random_rules

POOLS = RuleValues(
    fields={
        "email": ["user1@example.com", "USER3@Example.com", "@example.com", "example.org", ".my"],
        "phone": ["+60120000001", "+6012"], "first_name": ["Ann", "ann", "Bo_b", "Cé", "b_"],
        "last_name": ["Lee", "50% Off", "%"], "country": ["MY", "ET", "KE", "NL", "my"],
        "city": ["Kuala Lumpur", "Addis Ababa", "lumpur"], "language": ["en", "ms"],
        "lifecycle_stage": ["subscriber", "lead", "customer", "evangelist", "mql"],
        "lead_source": ["ads", "referral"], "external_id": ["ext-1", "ext-"],
        "created_at": [], "updated_at": [],
        "order_count": [0, 1, 2, 3], "total_spent": [0, 100, 200, 250.25, 500],
        "avg_order_value": [0, 50, 150.5], "first_order": [], "last_order": [],
        "rfm": ["champions", "loyal", "new", "at_risk", "lost", "hibernating"], "rfm_score": ["555", "1", "5"],
        "rfm_recency": [1, 3, 5], "rfm_frequency": [1, 4], "rfm_monetary": [2, 5], "lead_score": [0, 5, 10, 17],
        "plan": ["free", "pro", "enterprise"], "score": [0, 3, 7.5, 42], "vip": [True, False],
        "birthday": ["1975-06-01", "1990-01-01"], "nickname": ["ace", "Ace", "Bo_b", "100%"],
    },
    dates=["2025-06-14T12:00:00+00:00", "2025-01-01", "2024-06-15T12:00:00"],
    tags=[*TAGS, "missing-tag"], lists=[*LISTS, "missing-list"], segments=sorted(SEGMENTS),
    events={
        "page_view": {"url": ["/pricing", "PRICING", "/", "100%_", "/cart"]},
        "app_open": {"platform": ["ios", "android"], "build": [40, 41, 42]},
        "add_to_cart": {"sku": ["SKU-1", "SKU-2"], "quantity": [1, 2, 3]},
        "email_click": {"campaign": CAMPAIGNS, "url": ["/pricing"]},
        "signup": {"method": ["email", "google"]},
    },
    campaigns=[*CAMPAIGNS, "nothing"],
    orders={"amount": [10, 100.25, 150], "currency": ["MYR", "USD"], "status": ["paid", "refunded", "pending"],
            "channel": ["web", "store"], "category": ["shoes", "gear_%", "%"], "sku": ["SKU-1", "SKU-4"],
            "product": ["trail", "Sock 1", "jacket"], "quantity": [1, 2, 3], "price": [10, 50.5, 99]},
    counts=[0, 1, 2, 3, 0.5, 1.5], amounts=[0, 50, 100.25, 200, 500],
)


def _reference(world: SegmentWorld, rule: rules.Rule) -> set[int]:
    return evaluate(rule, world.data, now=world.now, catalogue=world.catalogue, resolve_segment=world.resolve)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=leaves(CATALOGUE, POOLS))
def test_every_leaf_selects_what_the_reference_evaluator_selects(
        world: SegmentWorld, members: Callable[[rules.Rule], set[int]], rule: rules.Rule) -> None:
    assert members(rule) == _reference(world, rule)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=random_rules(CATALOGUE, POOLS))
def test_nested_rules_select_what_the_reference_evaluator_selects(
        world: SegmentWorld, members: Callable[[rules.Rule], set[int]], rule: rules.Rule) -> None:
    assert members(rule) == _reference(world, rule)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=random_rules(CATALOGUE, POOLS))
def test_not_selects_exactly_the_rest(
        world: SegmentWorld, members: Callable[[rules.Rule], set[int]], rule: rules.Rule) -> None:
    selected = members(rule)
    assert members(rules.Not(rule=rule)) == set(world.data.contacts) - selected


def test_the_dataset_is_varied(world: SegmentWorld) -> None:
    """Guard against a degenerate dataset that would make the properties trivially true."""
    data = world.data
    assert len(data.contacts) == 40
    assert any(c["country"] is None for c in data.contacts.values())
    assert any(c["email_normalized"] is None for c in data.contacts.values())
    assert len({o["status"] for o in data.orders}) == 5
    assert any(m["rfm_group"] for m in data.metrics.values()) and any(m["lead_score"] for m in data.metrics.values())
    assert any(e["properties"].get("quantity") == "two" for e in data.events)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=leaves(CATALOGUE, POOLS))
def test_count_query_counts_the_members(
        world: SegmentWorld, members: Callable[[rules.Rule], set[int]], rule: rules.Rule) -> None:
    """Counting may read another table than contacts for simple rules; it must count the same people."""
    from kempen.segments.compiler import count_query

    with world.session() as session:
        counted = session.scalar(count_query(rule, workspace_id=world.workspace_id, catalogue=world.catalogue,
                                             now=world.now, resolve_segment=world.resolve))
    assert counted == len(members(rule)) == len(_reference(world, rule))
