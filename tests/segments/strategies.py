"""Hypothesis strategies for rule trees: `rules(catalogue, values=...)` draws random valid rules.

Every node type, nested and/or/not, and every op each field type takes (see
`kempen.segments.compiler.values.OPS_BY_TYPE`), with literals drawn from `RuleValues` pools so
that rules select interesting subsets of a small dataset. Used by the compiler's property tests
and by the parser's round-trip tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from kempen.segments import rules as tree
from kempen.segments.compiler.values import NUMBER_OPS, OPS_BY_TYPE, TEXT_MATCH
from kempen.segments.fields import ORDER_FIELDS, FieldCatalogue, FieldType
from kempen.segments.rules import Op

Strategy = st.SearchStrategy


@dataclass(frozen=True)
class RuleValues:
    """Pools of names and literals for generated rules; empty pools fall back to generic values."""

    fields: dict[str, list[Any]] = field(default_factory=dict)  # field name -> sample values
    texts: list[str] = field(default_factory=lambda: ["a", "MY", "example", "x_y", "50%"])
    numbers: list[int | float] = field(default_factory=lambda: [0, 1, 2, 2.5, 10, 100, 250.25])
    dates: list[str] = field(default_factory=lambda: ["2025-01-01", "2024-06-15T12:00:00+00:00"])
    tags: list[str] = field(default_factory=lambda: ["vip"])
    lists: list[str] = field(default_factory=lambda: ["newsletter-paused"])
    segments: list[str] = field(default_factory=lambda: ["high-value"])
    events: dict[str, dict[str, list[Any]]] = field(default_factory=lambda: {"page_view": {"url": ["/pricing"]}})
    campaigns: list[str] = field(default_factory=lambda: ["spring-sale"])
    orders: dict[str, list[Any]] = field(default_factory=dict)  # order field -> sample values
    counts: list[int | float] = field(default_factory=lambda: [0, 1, 2, 3, 0.5])
    amounts: list[int | float] = field(default_factory=lambda: [0, 50, 100.25, 500])


def durations() -> Strategy[tree.Duration]:
    return st.builds(tree.Duration, amount=st.sampled_from([0, 1, 7, 30, 90, 365]), unit=st.sampled_from(
        list(tree.TimeUnit)))


def _fragments(samples: list[str]) -> Strategy[str]:
    """Whole samples or pieces of them (for contains / starts_with / ends_with)."""
    def cut(text: str) -> Strategy[str]:
        return st.integers(0, len(text) - 1).flatmap(
            lambda start: st.integers(start + 1, len(text)).map(lambda end: text[start:end]))
    return st.sampled_from([s for s in samples if s]).flatmap(cut)


def literal_for(kind: FieldType, op: Op, samples: list[Any], pools: RuleValues) -> Strategy[Any]:
    """A literal fitting a field type and op (None for is_set / is_not_set; a list for in / not_in)."""
    if op in (Op.IS_SET, Op.IS_NOT_SET):
        return st.none()
    if kind in (FieldType.TEXT, FieldType.CHOICE):
        texts = [s for s in samples if isinstance(s, str)] or pools.texts
        if op in TEXT_MATCH:
            return _fragments(texts)
        one: Strategy[Any] = st.sampled_from(texts)
    elif kind == FieldType.NUMBER:
        one = st.sampled_from([s for s in samples if isinstance(s, int | float) and not isinstance(s, bool)]
                              or pools.numbers)
    elif kind == FieldType.BOOLEAN:
        one = st.booleans()
    elif kind == FieldType.DATE:
        days = [d for d in pools.dates if len(d) == 10] or ["2025-01-01"]
        one = st.sampled_from([s for s in samples if isinstance(s, str)] or days) | st.builds(
            tree.Ago, ago=durations())
    else:
        one = st.sampled_from(pools.dates) | st.builds(tree.Ago, ago=durations())
    if op in (Op.IN, Op.NOT_IN):
        return st.lists(one, min_size=1, max_size=3)
    return one


def compares(catalogue: FieldCatalogue, pools: RuleValues) -> Strategy[tree.Rule]:
    def build(name: str) -> Strategy[tree.Rule]:
        spec = catalogue.get(name)
        assert spec is not None
        samples = pools.fields.get(name, list(spec.choices))
        ops = sorted(OPS_BY_TYPE[spec.type], key=lambda o: o.value)
        return st.sampled_from(ops).flatmap(lambda op: literal_for(spec.type, op, samples, pools).map(
            lambda value: tree.Compare(field=name, op=op, value=value)))
    names = [n for n in catalogue.names() if not pools.fields or n in pools.fields]
    return st.sampled_from(names).flatmap(build)


def days_since(catalogue: FieldCatalogue) -> Strategy[tree.Rule]:
    fields = [n for n in catalogue.names() if catalogue.fields[n].type == FieldType.DATETIME]
    return st.builds(tree.DaysSince, field=st.sampled_from(fields), op=st.sampled_from(sorted(NUMBER_OPS)),
                     value=st.sampled_from([0, 1, 7, 30, 60, 90, 365]) | st.sampled_from([0.5, 59.5]))


def _conditions(kinds: dict[str, FieldType], samples: dict[str, list[Any]], pools: RuleValues,
                ) -> Strategy[tuple[tree.Condition, ...]]:
    def build(name: str) -> Strategy[tree.Condition]:
        kind = kinds[name]
        return st.sampled_from(sorted(OPS_BY_TYPE[kind], key=lambda o: o.value)).flatmap(
            lambda op: literal_for(kind, op, samples.get(name, []), pools).map(
                lambda value: tree.Condition(field=name, op=op, value=value)))
    return st.lists(st.sampled_from(sorted(kinds)).flatmap(build), max_size=2).map(tuple)


def _kind_of(samples: list[Any]) -> FieldType:
    if samples and all(isinstance(s, bool) for s in samples):
        return FieldType.BOOLEAN
    if samples and all(isinstance(s, int | float) and not isinstance(s, bool) for s in samples):
        return FieldType.NUMBER
    return FieldType.TEXT


def order_aggregates(pools: RuleValues) -> Strategy[tree.Rule]:
    fields = {name: kind for name, kind in ORDER_FIELDS.items() if not pools.orders or name in pools.orders}

    def build(function: str) -> Strategy[tree.Rule]:
        return st.builds(
            tree.Aggregate, source=st.just("orders"), function=st.just(function),
            measure=st.just(None if function == "count" else "amount"),
            where=_conditions(fields, pools.orders, pools), window=st.none() | durations(),
            op=st.sampled_from(sorted(NUMBER_OPS)), value=st.sampled_from(pools.counts + pools.amounts))
    return st.sampled_from(["count", "sum", "avg", "min", "max"]).flatmap(build)


def event_aggregates(pools: RuleValues) -> Strategy[tree.Rule]:
    def build(event: str) -> Strategy[tree.Rule]:
        props = pools.events[event]
        kinds = {name: _kind_of(values) for name, values in props.items()}
        numeric = [name for name, kind in kinds.items() if kind == FieldType.NUMBER]
        functions = ["count"] + (["sum", "avg", "min", "max"] if numeric else [])
        return st.sampled_from(functions).flatmap(lambda fn: st.builds(
            tree.Aggregate, source=st.just("events"), function=st.just(fn),
            measure=st.just(None) if fn == "count" else st.sampled_from(numeric), event=st.just(event),
            where=_conditions(kinds, props, pools), window=st.none() | durations(),
            op=st.sampled_from(sorted(NUMBER_OPS)), value=st.sampled_from(pools.counts + pools.numbers)))
    return st.sampled_from(sorted(pools.events)).flatmap(build)


def leaves(catalogue: FieldCatalogue, pools: RuleValues) -> Strategy[tree.Rule]:
    events = sorted(pools.events)
    return st.one_of(
        compares(catalogue, pools), days_since(catalogue), order_aggregates(pools), event_aggregates(pools),
        st.builds(tree.Ever, event=st.sampled_from(events), negated=st.booleans(), window=st.none() | durations()),
        st.builds(tree.Clicked, campaign=st.sampled_from(pools.campaigns), window=st.none() | durations()),
        st.builds(tree.HasTag, name=st.sampled_from(pools.tags)),
        st.builds(tree.InList, name=st.sampled_from(pools.lists)),
        st.builds(tree.HasConsent, channel=st.sampled_from(["email", "sms", "push", "ads", "direct_mail"])),
        *([st.builds(tree.InSegment, name=st.sampled_from(pools.segments))] if pools.segments else []),
    )


def rules(catalogue: FieldCatalogue, values: RuleValues | None = None, *, max_leaves: int = 6,
           ) -> Strategy[tree.Rule]:
    """Random valid rule trees over the catalogue's fields and the pools' names and literals."""
    pools = values or RuleValues()

    def extend(children: Strategy[tree.Rule]) -> Strategy[tree.Rule]:
        many = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(many.map(lambda rs: tree.And(rules=rs)), many.map(lambda rs: tree.Or(rules=rs)),
                         children.map(lambda r: tree.Not(rule=r)))
    return st.recursive(leaves(catalogue, pools), extend, max_leaves=max_leaves)

