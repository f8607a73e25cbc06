"""The rule text parser: the issue's examples verbatim, precedence, layout, positioned syntax errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kempen.segments.errors import RuleError, RuleErrors
from kempen.segments.fields import FieldCatalogue
from kempen.segments.parser import MAX_NESTING, parse_located, parse_rule
from kempen.segments.printer import format_rule
from kempen.segments.rules import (
    Aggregate,
    Ago,
    And,
    Clicked,
    Compare,
    Condition,
    DaysSince,
    Duration,
    Ever,
    HasConsent,
    HasTag,
    InList,
    InSegment,
    Not,
    Op,
    Or,
    TimeUnit,
    rule_from_json,
    rule_to_json,
)


def days(n: int) -> Duration:
    return Duration(amount=n, unit=TimeUnit.DAY)


EXAMPLES = [
    ('country = "MY"', Compare(field="country", op=Op.EQ, value="MY")),
    ('country in ("MY", "ET", "KE") and lifecycle_stage = "customer"',
     And(rules=(Compare(field="country", op=Op.IN, value=["MY", "ET", "KE"]),
                Compare(field="lifecycle_stage", op=Op.EQ, value="customer")))),
    ('email ends_with "@example.com" or phone is set',
     Or(rules=(Compare(field="email", op=Op.ENDS_WITH, value="@example.com"),
               Compare(field="phone", op=Op.IS_SET)))),
    ('tag "vip" and not in_list "newsletter-paused"',
     And(rules=(HasTag(name="vip"), Not(rule=InList(name="newsletter-paused"))))),
    ("created_at > 30d ago", Compare(field="created_at", op=Op.GT, value=Ago(ago=days(30)))),
    ("orders.count(last 90d) >= 2",
     Aggregate(source="orders", function="count", window=days(90), op=Op.GE, value=2)),
    ("orders.sum(amount, last 365d) > 500",
     Aggregate(source="orders", function="sum", measure="amount", window=days(365), op=Op.GT, value=500)),
    ('orders.count(where category = "shoes", last 180d) >= 1',
     Aggregate(source="orders", function="count", where=(Condition(field="category", op=Op.EQ, value="shoes"),),
               window=days(180), op=Op.GE, value=1)),
    ("days_since(last_order) > 60", DaysSince(field="last_order", op=Op.GT, value=60)),
    ('events.count("page_view", where url contains "/pricing", last 7d) >= 3',
     Aggregate(source="events", function="count", event="page_view",
               where=(Condition(field="url", op=Op.CONTAINS, value="/pricing"),), window=days(7), op=Op.GE, value=3)),
    ('never("app_open") and ever("signup")',
     And(rules=(Ever(event="app_open", negated=True), Ever(event="signup")))),
    ('clicked(campaign "spring-sale", last 30d)', Clicked(campaign="spring-sale", window=days(30))),
    ('rfm in ("champions", "loyal")', Compare(field="rfm", op=Op.IN, value=["champions", "loyal"])),
    ('in_segment "high-value" and consent.email', And(rules=(InSegment(name="high-value"), HasConsent(channel="email")))),
]
CATALOGUE = FieldCatalogue()


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_each_example_parses_verbatim_to_its_tree(text: str, expected: object) -> None:
    assert parse_rule(text) == expected
    assert parse_rule(text, CATALOGUE) == expected  # and type-checks against the built-in fields


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_each_example_prints_back_canonically(text: str, expected: object) -> None:
    canonical = format_rule(parse_rule(text))
    assert canonical == text  # the examples are already written canonically
    assert parse_rule(canonical) == expected
    assert format_rule(parse_rule(canonical)) == canonical


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_each_example_round_trips_through_json(text: str, expected: object) -> None:
    data = rule_to_json(parse_rule(text))
    assert rule_from_json(data) == expected
    assert format_rule(rule_from_json(data)) == text


def test_the_json_form_of_an_example_is_plain_data() -> None:
    assert rule_to_json(parse_rule('tag "vip" and not in_list "newsletter-paused"')) == {
        "type": "and", "rules": [
            {"type": "tag", "name": "vip"},
            {"type": "not", "rule": {"type": "in_list", "name": "newsletter-paused"}}]}


A, B, C = (Compare(field=f, op=Op.IS_SET) for f in "abc")


@pytest.mark.parametrize(("text", "expected"), [
    ("a is set or b is set and c is set", Or(rules=(A, And(rules=(B, C))))),
    ("(a is set or b is set) and c is set", And(rules=(Or(rules=(A, B)), C))),
    ("not a is set and b is set", And(rules=(Not(rule=A), B))),
    ("not (a is set and b is set)", Not(rule=And(rules=(A, B)))),
    ("not not a is set", Not(rule=Not(rule=A))),
    ("a is set and b is set and c is set", And(rules=(A, B, C))),
    ("a is set and (b is set and c is set)", And(rules=(A, And(rules=(B, C))))),
    ("((a is set))", A),
    ("a is set or not b is set or c is set", Or(rules=(A, Not(rule=B), C))),
])
def test_precedence_is_not_then_and_then_or(text: str, expected: object) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ('country = "MY" AND Tag "vip" Or NOT consent.EMAIL',
     Or(rules=(And(rules=(Compare(field="country", op=Op.EQ, value="MY"), HasTag(name="vip"))),
               Not(rule=HasConsent(channel="email"))))),
    ("Orders.Count(LAST 90d) >= 2", Aggregate(source="orders", function="count", window=days(90), op=Op.GE, value=2)),
    ('email IS NOT SET', Compare(field="email", op=Op.IS_NOT_SET)),
    ("country NOT IN ('MY')", Compare(field="country", op=Op.NOT_IN, value=["MY"])),
    ("Country = 'MY'", Compare(field="Country", op=Op.EQ, value="MY")),  # field names keep their case
])
def test_keywords_are_case_insensitive_field_names_are_not(text: str, expected: object) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(("text", "value"), [
    (r'x = "say \"hi\" \\ done"', 'say "hi" \\ done'),
    (r"x = 'it\'s'", "it's"),
    (r'x = "tab\there\nnewline \u00e9 \U0001F600"', "tab\there\nnewline é 😀"),
    ("x = -2.5", -2.5),
    ("x = 1e3", 1000.0),
    ("x = 007", 7),
    ("x = true", True),
    ("x = FALSE", False),
    ("x > 12h ago", Ago(ago=Duration(amount=12, unit=TimeUnit.HOUR))),
    ("x > 2W ago", Ago(ago=Duration(amount=2, unit=TimeUnit.WEEK))),
    ("x < 1y ago", Ago(ago=Duration(amount=1, unit=TimeUnit.YEAR))),
])
def test_values(text: str, value: object) -> None:
    rule = parse_rule(text)
    assert isinstance(rule, Compare)
    assert rule.value == value and type(rule.value) is type(value)


def test_back_quoted_names_allow_keywords_and_dots_as_fields() -> None:
    assert parse_rule('`tag` = "x" and `page.url` is set') == And(rules=(
        Compare(field="tag", op=Op.EQ, value="x"), Compare(field="page.url", op=Op.IS_SET)))
    assert parse_rule("last = 1") == Compare(field="last", op=Op.EQ, value=1)  # only some words are reserved


def test_aggregate_arguments_in_every_form() -> None:
    assert parse_rule('events.sum("purchase", value, where plan = "pro" and source = "web", last 4w) > 10') == (
        Aggregate(source="events", function="sum", event="purchase", measure="value",
                  where=(Condition(field="plan", op=Op.EQ, value="pro"),
                         Condition(field="source", op=Op.EQ, value="web")),
                  window=Duration(amount=4, unit=TimeUnit.WEEK), op=Op.GT, value=10))
    assert parse_rule("orders.avg(amount) <= 20.5") == Aggregate(
        source="orders", function="avg", measure="amount", op=Op.LE, value=20.5)
    assert parse_rule("orders.count() = 0") == Aggregate(source="orders", function="count", op=Op.EQ, value=0)
    assert parse_rule('ever("signup", last 12h)') == Ever(event="signup", window=Duration(amount=12, unit=TimeUnit.HOUR))


def test_multi_line_rules_with_comments() -> None:
    text = """
    # customers in three markets
    country in ("MY", "ET", "KE")   # not SG yet
      and lifecycle_stage = "customer"
    # who bought recently
      and orders.count(last 90d) >= 2
    """
    assert parse_rule(text) == And(rules=(
        Compare(field="country", op=Op.IN, value=["MY", "ET", "KE"]),
        Compare(field="lifecycle_stage", op=Op.EQ, value="customer"),
        Aggregate(source="orders", function="count", window=days(90), op=Op.GE, value=2)))
    assert parse_rule('tag "#1"  # a hash inside quotes is text') == HasTag(name="#1")


def test_spans_place_each_part_of_the_tree_in_the_text() -> None:
    rule, spans = parse_located('tag "vip"\n  and country in ("MY", "KE")')
    assert isinstance(rule, And)
    assert spans["rules/0"] == (1, 1, 10)
    assert spans["rules/1/field"] == (2, 7, 14)
    assert spans["rules/1/op"] == (2, 15, 17)
    assert spans["rules/1/value"] == (2, 18, 30)
    assert spans["rules/1/value/1"] == (2, 25, 29)
    assert spans[""] == (1, 1, None)  # spans two lines


def test_the_error_message_names_line_column_expectation_and_finding() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule("country =")
    assert str(caught.value) == 'line 1, column 9: expected a value after "=", found end of input'
    assert (caught.value.line, caught.value.column, caught.value.end_column) == (1, 9, 10)
    assert caught.value.path is None


MALFORMED = [
    # text, line, column, part of the message
    ("", 1, 1, "the rule is empty"),
    ("  # only a comment\n", 1, 1, "the rule is empty"),
    ('country = "MY', 1, 11, "not closed"),
    ('tag "vip\n  and x = 1', 1, 5, "not closed"),
    ("(country = 'MY'", 1, 1, 'this "(" is never closed'),
    ('country in ("MY", "KE"', 1, 12, 'this "(" is never closed'),
    ("country = 'MY')", 1, 15, 'this ")" has no matching "("'),
    ('country = "MY" "KE"', 1, 16, 'expected "and", "or" or the end of the rule, found the text "KE"'),
    ('country = "MY" lifecycle_stage = "lead"', 1, 16, 'found "lifecycle_stage"'),
    ("orders.cnt(last 90d) >= 2", 1, 1, "unknown function 'orders.cnt'; did you mean 'orders.count'?"),
    ("dayz_since(last_order) > 3", 1, 1, "unknown function 'dayz_since'; did you mean 'days_since'?"),
    ("orders.count >= 2", 1, 14, 'expected "(" after "orders.count"'),
    ("orders.count(last 90) >= 2", 1, 19, "expected a duration such as 30d"),
    ("created_at > 30 ago", 1, 14, "expected a duration such as 30d"),
    ("created_at > 30d", 1, 14, 'expected "ago" after "30d"'),
    ("created_at > 30m ago", 1, 14, "not a duration"),
    ("created_at > 1.5d ago", 1, 14, "whole numbers"),
    ("created_at > 200000d ago", 1, 14, "too long"),
    ("country = MY", 1, 11, 'write text in quotes: "MY"'),
    ("country", 1, 1, 'expected an operator such as =, !=, >, in, contains or "is set" after "country"'),
    ("country == 'MY'", 1, 10, 'expected a value after "=", found "="'),
    ("country in 'MY'", 1, 12, 'expected a list such as ("a", "b") after "in"'),
    ("country in ()", 1, 13, "the list is empty"),
    ("country in ('MY' 'KE')", 1, 18, 'expected "," or ")" in the list'),
    ("country in (true)", 1, 13, "expected text in quotes or a number in the list"),
    ("country = ('MY')", 1, 11, 'a list of values goes with "in" or "not_in"'),
    ("email is empty", 1, 10, 'expected "set" or "not set" after "is"'),
    ("country = 'MY' and", 1, 16, 'expected a condition after "and", found end of input'),
    ("country = 'MY' and or x = 1", 1, 20, 'expected a condition after "and", found "or"'),
    ("and = 1", 1, 1, 'expected a condition such as country = "MY", found "and"'),
    ("tag vip", 1, 5, 'expected a name in quotes after "tag"'),
    ("consent.emial", 1, 1, "did you mean 'email'?"),
    ('ever(signup)', 1, 6, 'expected an event name in quotes, such as ever("signup")'),
    ('clicked("spring-sale")', 1, 9, "expected campaign and its name"),
    ('clicked(campaign "x", 30d)', 1, 23, 'expected "last" and a duration'),
    ("days_since(last_order) > 60d", 1, 26, "write the number alone"),
    ("days_since(last_order)", 1, 22, "expected a comparison such as >= 2"),
    ("orders.sum(amount, last 30d, where status = 'paid') > 1", 1, 30, "arguments go in this order"),
    ("orders.count(where category = 'x',) > 1", 1, 35, "expected an argument such as"),
    ("orders.count(last 7d) >= two", 1, 26, 'expected a number after ">="'),
    ("events.count(", 1, 13, 'this "(" is never closed'),
    ("x = 99999999999999999999", 1, 5, "too large"),
    ("x = 1e999", 1, 5, "too large"),
    ("x = 'caf\\xe9'", 1, 9, "unknown escape"),
    ("x = '\\u12'", 1, 6, "needs 4 hex digits"),
    ("x = 1 @ y", 1, 7, 'unexpected character "@"'),
    ("`tag = 1", 1, 1, "the name starting here is not closed"),
    ("tag = 'x'", 1, 5, 'expected a name in quotes after "tag"'),
    ("not", 1, 1, 'expected a condition after "not", found end of input'),
    ("country = 'MY'\n  and\n  lifecycle_stage = ", 3, 19, 'expected a value after "="'),
    ("country = 'MY'\n\n  and (tag 'a' or)", 3, 18, 'expected a condition after "or", found ")"'),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), MALFORMED, ids=[m[0] or "empty" for m in MALFORMED])
def test_malformed_rules_give_positioned_errors(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(text)
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column), str(error)


def test_nesting_is_bounded_with_an_error_not_a_crash() -> None:
    depth = MAX_NESTING
    assert parse_rule("(" * depth + "a is set" + ")" * depth) == A
    for text in ("(" * 5000 + "a is set" + ")" * 5000, "not " * 5000 + "a is set", "(not " * 3000):
        with pytest.raises(RuleError, match="nested too deeply"):
            parse_rule(text)


def test_a_very_long_rule_is_refused() -> None:
    with pytest.raises(RuleError, match="too long"):
        parse_rule("a is set or " * 20_000 + "a is set")


def test_with_a_catalogue_type_errors_are_raised_together() -> None:
    with pytest.raises(RuleErrors) as caught:
        parse_rule('order_count = "5" and contry = "MY"', CATALOGUE)
    assert [(e.line, e.column) for e in caught.value.errors] == [(1, 15), (1, 23)]


_WORDS = ["and", "or", "not", "(", ")", ",", "=", "!=", ">=", "<", "in", "is", "set", "not_in", "contains",
          "country", "tag", "in_list", "consent.email", "consent.x", "orders.count", "orders.sum", "events.count",
          "ever", "never", "clicked", "campaign", "days_since", "where", "last", "amount", "30d", "ago", "2",
          "-1.5", '"MY"', "'x", "`f`", "true", "#", "\n", "rfm", "lifecycle_stage", "created_at", "url", '"\\']


@settings(max_examples=500)
@given(st.text())
def test_arbitrary_text_raises_only_rule_errors(text: str) -> None:
    _parse_or_rule_error(text)


@settings(max_examples=1500)
@given(st.lists(st.sampled_from(_WORDS), max_size=25).map(" ".join))
def test_rule_like_text_raises_only_rule_errors(text: str) -> None:
    _parse_or_rule_error(text)


def _parse_or_rule_error(text: str) -> None:
    try:
        rule = parse_rule(text)
    except RuleError as error:
        assert error.line >= 1 and error.column >= 1 and error.message
        return
    assert parse_rule(format_rule(rule)) == rule  # whatever parses, prints back to itself
    try:
        parse_rule(text, CATALOGUE)
    except RuleErrors as errors:
        assert errors.errors and all(e.line >= 1 and e.path is not None for e in errors.errors)
