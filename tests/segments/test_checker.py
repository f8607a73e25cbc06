"""The type checker: on text (errors at the offending token) and on JSON trees (errors at a path)."""

from __future__ import annotations

import math

import pytest

from kempen.models import CustomFieldDefinition, CustomFieldType
from kempen.segments.checker import MAX_DEPTH, check_rule
from kempen.segments.errors import RuleError, RuleErrors, locate
from kempen.segments.fields import catalogue_for
from kempen.segments.parser import parse_located, parse_rule
from kempen.segments.rules import Aggregate, And, Compare, DaysSince, HasTag, Not, Op, rule_from_json

CATALOGUE = catalogue_for([
    CustomFieldDefinition(key="shoe_size", label="Shoe size", field_type=CustomFieldType.NUMBER),
    CustomFieldDefinition(key="vip_since", label="VIP since", field_type=CustomFieldType.DATE),
    CustomFieldDefinition(key="newsletter", label="Newsletter", field_type=CustomFieldType.BOOLEAN),
    CustomFieldDefinition(key="tier", label="Tier", field_type=CustomFieldType.CHOICE, choices=["gold", "silver"]),
    CustomFieldDefinition(key="nickname", label="Nickname", field_type=CustomFieldType.TEXT),
    CustomFieldDefinition(key="tag", label="A field named like a keyword", field_type=CustomFieldType.TEXT),
])

VALID = [
    'shoe_size >= 42.5 and shoe_size in (40, 41) and shoe_size is not set',
    'vip_since < "2025-01-31" or vip_since > 2w ago or vip_since = "2024-02-29"',
    "newsletter = true and newsletter != false or newsletter is set",
    'tier in ("gold", "silver") and tier != "gold"',
    'nickname contains "bob" and nickname starts_with "B" and nickname not in ("x")',
    '`tag` = "x"',
    'created_at >= "2025-01-01T09:30:00Z" and updated_at < "2025-01-01" and created_at > 12h ago',
    "days_since(vip_since) >= 0.5 and days_since(created_at) != 3",
    'lifecycle_stage in ("lead", "mql") and rfm = "at_risk"',
    'orders.sum(amount, where category = "shoes" and price > 20 and quantity in (1, 2), last 1y) > 99.5',
    'orders.max(amount, where status != "refunded") < 1000 and orders.count() = 0',
    'events.avg("purchase", value, where source = "web" and plan in ("pro", 3) and beta = true) > 1',
    'events.count("page_view", where url contains "/pricing" and ms > 250 and ref > "2025-01") >= 3',
    'ever("signup", last 1h) and never("churn") and clicked(campaign "x") and consent.direct_mail',
]


@pytest.mark.parametrize("text", VALID)
def test_well_typed_rules_pass(text: str) -> None:
    rule = parse_rule(text, CATALOGUE)
    assert check_rule(rule, CATALOGUE) == []


TYPE_ERRORS = [
    # text, [(line, column, part of the message)]
    ('order_count = "5"', [(1, 15, 'order_count is a number field; compare it with a number, not the text "5"')]),
    ('shoe_size > "42"', [(1, 13, "shoe_size is a number field")]),
    ('contry = "MY"', [(1, 1, "unknown field 'contry'; did you mean 'country'?")]),
    ('Country = "MY"', [(1, 1, "unknown field 'Country'; did you mean 'country'?")]),
    ('shoe_sise = 42', [(1, 1, "unknown field 'shoe_sise'; did you mean 'shoe_size'?")]),
    ("favourite_colour is set", [(1, 1, "unknown field 'favourite_colour'")]),
    ('lifecycle_stage = "customr"', [(1, 19, '"customr" is not a value of lifecycle_stage (subscriber, lead, mql, '
                                            "sql, opportunity, customer, evangelist); did you mean 'customer'?")]),
    ('rfm in ("champions", "loyals")', [(1, 22, "did you mean 'loyal'?")]),
    ('tier = "bronze"', [(1, 8, '"bronze" is not a value of tier (gold, silver)')]),
    ("order_count contains 5", [(1, 13, '"contains" does not apply to order_count, a number field')]),
    ('tier starts_with "g"', [(1, 6, '"starts_with" does not apply to tier, a choice field')]),
    ('country > "M"', [(1, 9, '">" does not apply to country, a text field')]),
    ('newsletter = "yes"', [(1, 14, "newsletter is a true/false field; compare it with true or false")]),
    ("newsletter > 1", [(1, 12, '">" does not apply to newsletter')]),
    ('country in ("MY", 60)', [(1, 19, "country is a text field; compare it with text in quotes, not 60")]),
    ("created_at > 30", [(1, 14, "created_at is a date-and-time field; compare it with a date such as 30d ago")]),
    ('created_at > "last week"', [(1, 14, 'the text "last week" is not a date')]),
    ('vip_since = "2025-01-01T10:00:00"', [(1, 13, 'write dates as "2026-01-31"')]),
    ("days_since(email) > 3", [(1, 12, "days_since needs a date field; email is a text field")]),
    ("days_since(last_ordr) > 3", [(1, 12, "did you mean 'last_order'?")]),
    ("orders.count(amount) > 1", [(1, 14, "orders.count counts orders and takes no measure")]),
    ("orders.sum() > 1", [(1, 1, "orders.sum needs a measure")]),
    ("orders.avg(price) > 1", [(1, 12, "orders are measured by amount, not 'price'")]),
    ('orders.count("purchase") > 1', [(1, 14, 'orders have no event name; remove the text "purchase"')]),
    ('orders.count(where colour = "red") > 1', [(1, 20, "unknown order field 'colour'")]),
    ('orders.count(where price = "cheap") > 1', [(1, 28, "price is a number field")]),
    ("events.count(last 7d) > 1", [(1, 1, 'events.count needs an event name first: events.count("page_view", …)')]),
    ('events.sum("purchase") > 1', [(1, 1, "events.sum needs a property to measure")]),
    ('events.count("x", value) > 1', [(1, 19, "events.count counts events and takes no measure")]),
    ('events.count("x", where url contains 5) > 1', [(1, 38, '"contains" needs text in quotes, not 5')]),
    ('events.count("x", where ts > 3d ago) > 1', [(1, 30, "event properties compare with text, numbers or true/false")]),
    ('events.count("x", where source > 3) > 1', [(1, 32, '">" does not apply to source, a text field')]),
    ('tag "" and ever("")', [(1, 5, "the tag name is empty"), (1, 17, "the event name is empty")]),
    ('country = "a\\u0000b"', [(1, 11, "NUL character")]),
    # several errors are all reported, in text order
    ('contry = "MY" and\n  order_count = "5" and lifecycle_stage = "x"',
     [(1, 1, "unknown field"), (2, 17, "number field"), (2, 43, "is not a value of lifecycle_stage")]),
]


@pytest.mark.parametrize(("text", "expected"), TYPE_ERRORS, ids=[t for t, _ in TYPE_ERRORS])
def test_type_errors_point_at_the_offending_token(text: str, expected: list[tuple[int, int, str]]) -> None:
    parse_rule(text)  # the syntax is fine: only the types are wrong
    with pytest.raises(RuleErrors) as caught:
        parse_rule(text, CATALOGUE)
    found = [(e.line, e.column, e.message) for e in caught.value.errors]
    assert len(found) == len(expected), found
    for (line, column, message), (want_line, want_column, want_message) in zip(found, expected, strict=True):
        assert want_message in message
        assert (line, column) == (want_line, want_column), message


def test_errors_in_a_tree_carry_a_path_and_no_text_position() -> None:
    rule = rule_from_json({"type": "and", "rules": [
        {"type": "tag", "name": "vip"},
        {"type": "not", "rule": {"type": "compare", "field": "shoe_size", "op": "in", "value": [1, "2"]}},
        {"type": "aggregate", "source": "orders", "function": "count", "where": [
            {"field": "category", "op": "contains", "value": 3}], "op": "contains", "value": 1},
    ]})
    errors = check_rule(rule, CATALOGUE)
    assert [(e.path, e.line, e.column) for e in errors] == [
        ("rules/1/rule/value/1", 0, 0), ("rules/2/where/0/value", 0, 0), ("rules/2/op", 0, 0)]
    assert str(errors[0]) == 'at rules/1/rule/value/1: shoe_size is a number field; compare it with a number, not the text "2"'


@pytest.mark.parametrize(("data", "path", "message"), [
    ({"type": "compare", "field": "country", "op": "=", "value": None}, "value", '"=" needs a value'),
    ({"type": "compare", "field": "country", "op": "is_set", "value": "MY"}, "value", "take no value"),
    ({"type": "compare", "field": "country", "op": "in", "value": "MY"}, "value", '"in" needs a list'),
    ({"type": "compare", "field": "country", "op": "in", "value": []}, "value", "the list is empty"),
    ({"type": "compare", "field": "country", "op": "=", "value": ["MY"]}, "value", "a list of values goes with"),
    ({"type": "compare", "field": "order_count", "op": ">", "value": math.inf}, "value", "finite"),
    ({"type": "compare", "field": "order_count", "op": ">", "value": 2**70}, "value", "too large"),
    ({"type": "days_since", "field": "last_order", "op": "contains", "value": 1}, "op", "expected a comparison"),
    ({"type": "aggregate", "source": "orders", "function": "count", "op": ">", "value": math.nan}, "value", "finite"),
    ({"type": "in_segment", "name": "a\udc80"}, "name", "U+DC80"),
])
def test_trees_the_text_form_cannot_spell_are_refused(data: object, path: str, message: str) -> None:
    errors = check_rule(rule_from_json(data), CATALOGUE)
    assert [e.path for e in errors] == [path]
    assert message in errors[0].message


def test_too_deep_a_tree_is_one_error_not_a_crash() -> None:
    rule: object = HasTag(name="x")
    for _ in range(MAX_DEPTH + 5):
        rule = Not(rule=rule)  # type: ignore[arg-type]
    errors = check_rule(rule, CATALOGUE)  # type: ignore[arg-type]
    assert len(errors) == 1 and "nested too deeply" in errors[0].message


def test_locating_a_path_falls_back_to_the_enclosing_node() -> None:
    _, spans = parse_located('tag "a" and orders.sum() > 1')
    error = locate(RuleError("needs a measure", path="rules/1/measure"), spans)
    assert (error.line, error.column, error.end_column, error.path) == (1, 13, 29, "rules/1/measure")
    assert str(error) == "line 1, column 13: needs a measure"


def test_checking_accepts_what_parsing_builds_for_every_value_type() -> None:
    rule = parse_rule('shoe_size = -1 and days_since(last_order) < 2.5 and orders.count(last 0d) >= 0', CATALOGUE)
    assert isinstance(rule, And)
    assert rule.rules[0] == Compare(field="shoe_size", op=Op.EQ, value=-1)
    assert isinstance(rule.rules[1], DaysSince) and isinstance(rule.rules[2], Aggregate)


def test_rule_errors_read_as_one_line_each() -> None:
    errors = RuleErrors([RuleError("a", 1, 2), RuleError("b", path="rules/0")])
    assert str(errors) == "line 1, column 2: a\nat rules/0: b"
    assert RuleError("x", 1, 1).errors == [RuleError("x", 1, 1)]
