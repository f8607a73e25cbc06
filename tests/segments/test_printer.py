"""The canonical printer: minimal brackets, escapes, quoted names, and text that parses back to the tree."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kempen.models import CustomFieldDefinition, CustomFieldType
from kempen.segments import rules as tree
from kempen.segments.fields import catalogue_for
from kempen.segments.parser import parse_rule
from kempen.segments.printer import format_rule, format_string
from kempen.segments.rules import And, Compare, Not, Op, Or
from tests.segments.strategies import rules as valid_rules

A, B, C, D = (Compare(field=f, op=Op.IS_SET) for f in "abcd")


@pytest.mark.parametrize(("rule", "text"), [
    (Or(rules=(A, And(rules=(B, C)))), "a is set or b is set and c is set"),
    (And(rules=(Or(rules=(A, B)), C)), "(a is set or b is set) and c is set"),
    (And(rules=(A, And(rules=(B, C)))), "a is set and (b is set and c is set)"),
    (Or(rules=(Or(rules=(A, B)), C)), "(a is set or b is set) or c is set"),
    (Not(rule=And(rules=(A, B))), "not (a is set and b is set)"),
    (Not(rule=Or(rules=(A, B))), "not (a is set or b is set)"),
    (And(rules=(Not(rule=A), Not(rule=Not(rule=B)))), "not a is set and not not b is set"),
    (Or(rules=(And(rules=(A, B)), And(rules=(C, D)))), "a is set and b is set or c is set and d is set"),
    (And(rules=(Or(rules=(A, B)), Or(rules=(C, Not(rule=Or(rules=(A, D))))))),
     "(a is set or b is set) and (c is set or not (a is set or d is set))"),
])
def test_brackets_only_where_the_tree_needs_them(rule: tree.Rule, text: str) -> None:
    assert format_rule(rule) == text
    assert parse_rule(text) == rule


@pytest.mark.parametrize(("value", "text"), [
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    ("it's", '"it\'s"'),
    ("line\nbreak\ttab\rreturn", r'"line\nbreak\ttab\rreturn"'),
    ("nul\x00 bell\x07 nbsp\xa0", r'"nul\u0000 bell\u0007 nbsp\u00a0"'),
    ("café 😀 中文", '"café 😀 中文"'),
    ("\U000e0001", r'"\U000e0001"'),
    ("lone \ud800", r'"lone \ud800"'),
])
def test_text_is_double_quoted_with_escapes_and_reads_back(value: str, text: str) -> None:
    assert format_string(value) == text
    rule = tree.HasTag(name=value)
    assert format_rule(rule) == f"tag {text}"
    assert parse_rule(format_rule(rule)) == rule


@pytest.mark.parametrize(("field", "text"), [
    ("country", "country"),
    ("tag", "`tag`"),
    ("AND", "`AND`"),
    ("last", "`last`"),
    ("page.url", "`page.url`"),
    ("has space", "`has space`"),
    ("back`tick", r"`back\`tick`"),
    ("", "``"),
])
def test_names_that_are_keywords_or_not_plain_words_are_back_quoted(field: str, text: str) -> None:
    rule = Compare(field=field, op=Op.EQ, value=1)
    assert format_rule(rule) == f"{text} = 1"
    assert parse_rule(format_rule(rule)) == rule


@pytest.mark.parametrize(("value", "text"), [
    (7, "7"), (-3, "-3"), (2.5, "2.5"), (1.0, "1.0"), (-0.001, "-0.001"), (1e16, "1e+16"), (2.5e-7, "2.5e-07"),
    (True, "true"), (False, "false"), (2**63 - 1, "9223372036854775807"),
])
def test_numbers_and_booleans(value: object, text: str) -> None:
    rule = Compare(field="x", op=Op.EQ, value=value)
    assert format_rule(rule) == f"x = {text}"
    back = parse_rule(format_rule(rule))
    assert back == rule and isinstance(back, Compare) and type(back.value) is type(value)


def test_a_number_that_is_not_finite_cannot_be_printed() -> None:
    with pytest.raises(ValueError, match="finite"):
        format_rule(Compare(field="x", op=Op.GT, value=math.inf))


def test_aggregates_print_their_arguments_in_order() -> None:
    rule = tree.Aggregate(
        source="events", function="max", event="purchase", measure="last",
        where=(tree.Condition(field="plan", op=Op.IN, value=["pro", "team"]),
               tree.Condition(field="source", op=Op.IS_NOT_SET)),
        window=tree.Duration(amount=2, unit=tree.TimeUnit.YEAR), op=Op.NE, value=0.5)
    text = 'events.max("purchase", `last`, where plan in ("pro", "team") and source is not set, last 2y) != 0.5'
    assert format_rule(rule) == text
    assert parse_rule(text) == rule


# -- property tests ---------------------------------------------------------------------------------

CATALOGUE = catalogue_for([
    CustomFieldDefinition(key="shoe_size", label="Shoe size", field_type=CustomFieldType.NUMBER),
    CustomFieldDefinition(key="tier", label="Tier", field_type=CustomFieldType.CHOICE, choices=["gold", "silver"]),
    CustomFieldDefinition(key="tag", label="Tag", field_type=CustomFieldType.TEXT),
])


@settings(max_examples=300)
@given(valid_rules(CATALOGUE))
def test_valid_rules_print_to_text_that_parses_back_to_them(rule: tree.Rule) -> None:
    text = format_rule(rule)
    assert "\n" not in text
    assert parse_rule(text) == rule
    assert format_rule(parse_rule(text)) == text


names = st.text(max_size=6)
numbers = st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
durations = st.builds(tree.Duration, amount=st.integers(0, 100_000), unit=st.sampled_from(list(tree.TimeUnit)))
scalars = st.text(max_size=6) | numbers | st.booleans() | st.builds(tree.Ago, ago=durations)
items = st.lists(st.text(max_size=4) | numbers, min_size=1, max_size=3)
comparisons = st.sampled_from([Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE])


def _conditions(kind: type[tree.Compare] | type[tree.Condition]) -> st.SearchStrategy[tree.Compare | tree.Condition]:
    presence = st.builds(kind, field=names, op=st.sampled_from([Op.IS_SET, Op.IS_NOT_SET]))
    listed = st.builds(kind, field=names, op=st.sampled_from([Op.IN, Op.NOT_IN]), value=items)
    other = st.sampled_from([Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH]) | comparisons
    single = st.builds(kind, field=names, op=other, value=scalars)
    return presence | listed | single


_leaves = st.one_of(
    _conditions(tree.Compare),
    st.builds(tree.DaysSince, field=names, op=comparisons, value=numbers),
    st.builds(tree.Aggregate, source=st.sampled_from(["orders", "events"]),
              function=st.sampled_from(["count", "sum", "avg", "min", "max"]), measure=st.none() | names,
              event=st.none() | names, where=st.lists(_conditions(tree.Condition), max_size=2).map(tuple),
              window=st.none() | durations, op=comparisons, value=numbers),
    st.builds(tree.Ever, event=names, negated=st.booleans(), window=st.none() | durations),
    st.builds(tree.Clicked, campaign=names, window=st.none() | durations),
    st.builds(tree.HasTag, name=names), st.builds(tree.InList, name=names), st.builds(tree.InSegment, name=names),
    st.builds(tree.HasConsent, channel=st.sampled_from(["email", "sms", "push", "ads", "direct_mail"])),
)


def _extend(children: st.SearchStrategy[tree.Rule]) -> st.SearchStrategy[tree.Rule]:
    many = st.lists(children, min_size=2, max_size=3).map(tuple)
    return many.map(lambda rs: And(rules=rs)) | many.map(lambda rs: Or(rules=rs)) | children.map(
        lambda r: Not(rule=r))


@settings(max_examples=500)
@given(st.recursive(_leaves, _extend, max_leaves=8))
def test_any_well_formed_tree_round_trips_whatever_its_names_and_values(rule: tree.Rule) -> None:
    """Not only type-correct trees: any text, name and finite number survives printing and parsing."""
    text = format_rule(rule)
    assert parse_rule(text) == rule
    assert format_rule(parse_rule(text)) == text
