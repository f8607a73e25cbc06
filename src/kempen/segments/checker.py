"""Type checking of a rule tree against a workspace's field catalogue.

Runs on every rule before it reaches the database: on trees from the JSON form (errors carry a
`path` such as "rules/1/value") and, through `parser.parse_rule`, on text (errors then also carry
the line and column of the offending token). Every error found is reported, in tree order.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from kempen.segments.errors import RuleError, did_you_mean
from kempen.segments.fields import EVENT_COLUMNS, ORDER_FIELDS, ORDER_MEASURES, FieldCatalogue, FieldType
from kempen.segments.printer import format_value
from kempen.segments.rules import (
    Aggregate,
    Ago,
    And,
    Clicked,
    Compare,
    Condition,
    DaysSince,
    Ever,
    HasTag,
    InList,
    InSegment,
    Not,
    Op,
    Or,
    Rule,
    Value,
)

MAX_DEPTH = 200  # and/or/not inside one another; the parser's bracket limit stays well below
MAX_INT = 2**63 - 1
EQUALITY = (Op.EQ, Op.NE)
ORDERING = (Op.LT, Op.LE, Op.GT, Op.GE)
COMPARISONS = EQUALITY + ORDERING
LISTS = (Op.IN, Op.NOT_IN)
TEXT_OPS = (Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH)
PRESENCE = (Op.IS_SET, Op.IS_NOT_SET)
OPS_FOR = {
    FieldType.TEXT: EQUALITY + LISTS + TEXT_OPS + PRESENCE,
    FieldType.NUMBER: COMPARISONS + LISTS + PRESENCE,
    FieldType.BOOLEAN: EQUALITY + PRESENCE,
    FieldType.DATE: COMPARISONS + PRESENCE,
    FieldType.DATETIME: COMPARISONS + PRESENCE,
    FieldType.CHOICE: EQUALITY + LISTS + PRESENCE,
}
TYPE_WORDS = {
    FieldType.TEXT: "a text field", FieldType.NUMBER: "a number field", FieldType.BOOLEAN: "a true/false field",
    FieldType.DATE: "a date field", FieldType.DATETIME: "a date-and-time field", FieldType.CHOICE: "a choice field",
}
_NAMED_WORDS = {HasTag: "tag", InList: "list", InSegment: "segment"}
_ANY = None  # the type of an event property: whatever was sent


def check_rule(rule: Rule, catalogue: FieldCatalogue) -> list[RuleError]:
    """Every type error in a rule, each with the path of what it concerns."""
    if _depth(rule) > MAX_DEPTH:
        return [RuleError(f"the rule is nested too deeply (more than {MAX_DEPTH} levels of and/or/not)", path="")]
    checker = _Checker(catalogue)
    checker.rule(rule, "")
    return checker.errors


def _depth(rule: Rule) -> int:
    deepest, todo = 0, [(rule, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(node, And | Or):
            todo.extend((child, depth + 1) for child in node.rules)
        elif isinstance(node, Not):
            todo.append((node.rule, depth + 1))
    return deepest


def _at(path: str, part: str | int) -> str:
    return f"{path}/{part}" if path else str(part)


def number_problem(value: object) -> str | None:
    """Why a value is not a usable number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, not {describe(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return "numbers must be finite"
    if isinstance(value, int) and not -MAX_INT - 1 <= value <= MAX_INT:
        return "the number is too large"
    return None


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored or compared in the database, or None."""
    if "\x00" in text:
        return "text cannot contain the NUL character"
    bad = next((ch for ch in text if 0xD800 <= ord(ch) <= 0xDFFF), None)
    return f"text cannot contain the character U+{ord(bad):04X}" if bad else None


def describe(value: object) -> str:
    """A value in plain words, for messages."""
    if isinstance(value, str):
        return f"the text {format_value(value)}"
    if value is None:
        return "no value"
    if isinstance(value, list):
        return "a list"
    try:
        return format_value(value)  # type: ignore[arg-type]
    except ValueError:
        return str(value)


class _Checker:
    def __init__(self, catalogue: FieldCatalogue) -> None:
        self.catalogue = catalogue
        self.errors: list[RuleError] = []

    def fail(self, message: str, path: str) -> None:
        self.errors.append(RuleError(message, path=path))

    def rule(self, rule: Rule, path: str) -> None:
        if isinstance(rule, And | Or):
            for n, child in enumerate(rule.rules):
                self.rule(child, _at(path, f"rules/{n}"))
        elif isinstance(rule, Not):
            self.rule(rule.rule, _at(path, "rule"))
        elif isinstance(rule, Compare):
            self.compare(rule, path)
        elif isinstance(rule, DaysSince):
            self.days_since(rule, path)
        elif isinstance(rule, Aggregate):
            self.aggregate(rule, path)
        elif isinstance(rule, Ever):
            self.name(rule.event, "event name", _at(path, "event"))
        elif isinstance(rule, Clicked):
            self.name(rule.campaign, "campaign name", _at(path, "campaign"))
        elif isinstance(rule, HasTag | InList | InSegment):
            self.name(rule.name, f"{_NAMED_WORDS[type(rule)]} name", _at(path, "name"))

    def name(self, name: str, what: str, path: str) -> None:
        problem = f"the {what} is empty" if not name else text_problem(name)
        if problem:
            self.fail(problem, path)

    # -- comparisons --------------------------------------------------------------------------------

    def compare(self, rule: Compare, path: str) -> None:
        spec = self.catalogue.get(rule.field)
        if spec is None:
            self.fail(f"unknown field '{rule.field}'{did_you_mean(rule.field, self.catalogue.names())}",
                      _at(path, "field"))
            self.shape(rule, path)
            return
        self.typed(rule, path, spec.name, spec.type, spec.choices)

    def shape(self, rule: Compare | Condition, path: str) -> bool:
        """Whether the value has the form its operator needs (none, one, or a list); report if not."""
        op, value = rule.op, rule.value
        if op in PRESENCE:
            problem = None if value is None else f'"is set" and "is not set" take no value, not {describe(value)}'
        elif op in LISTS:
            problem = (None if isinstance(value, list) and value else "the list is empty" if isinstance(value, list)
                       else f'"{op.value}" needs a list of values such as ("a", "b"), not {describe(value)}')
        elif value is None:
            problem = f'"{op.value}" needs a value'
        else:
            problem = f'a list of values goes with "in" or "not_in", not "{op.value}"' if isinstance(value, list) else None
        if problem:
            self.fail(problem, _at(path, "value"))
        return problem is None

    def typed(self, rule: Compare | Condition, path: str, name: str, kind: FieldType | None,
              choices: tuple[str, ...] = ()) -> None:
        """Check the operator and value of `name op value` against the field's type (None: any type)."""
        allowed = OPS_FOR[kind] if kind is not None else tuple(Op)
        if kind is not None and rule.op not in allowed:
            ops = ", ".join(f'"{o.value}"' for o in allowed if o not in PRESENCE)
            self.fail(f'"{rule.op.value}" does not apply to {name}, {TYPE_WORDS[kind]}; use {ops} or "is set"',
                      _at(path, "op"))
            return
        if not self.shape(rule, path):
            return
        values = rule.value if isinstance(rule.value, list) else [rule.value] if rule.value is not None else []
        for n, value in enumerate(values):
            where = _at(path, f"value/{n}") if isinstance(rule.value, list) else _at(path, "value")
            problem = value_problem(value, name, kind, choices, rule.op)
            if problem:
                self.fail(problem, where)

    def days_since(self, rule: DaysSince, path: str) -> None:
        spec = self.catalogue.get(rule.field)
        if spec is None:
            self.fail(f"unknown field '{rule.field}'{did_you_mean(rule.field, self.catalogue.names())}",
                      _at(path, "field"))
        elif spec.type not in (FieldType.DATE, FieldType.DATETIME):
            self.fail(f"days_since needs a date field; {spec.name} is {TYPE_WORDS[spec.type]}", _at(path, "field"))
        self.compared_number(rule.op, rule.value, path)

    def compared_number(self, op: Op, value: object, path: str) -> None:
        if op not in COMPARISONS:
            self.fail(f'expected a comparison (=, !=, <, <=, >, >=), not "{op.value}"', _at(path, "op"))
        problem = number_problem(value)
        if problem:
            self.fail(problem, _at(path, "value"))

    # -- aggregates ---------------------------------------------------------------------------------

    def aggregate(self, rule: Aggregate, path: str) -> None:
        call = f"{rule.source}.{rule.function}"
        if rule.source == "orders":
            self.orders(rule, call, path)
        else:
            self.events(rule, call, path)
        for n, condition in enumerate(rule.where):
            self.condition(rule.source, condition, _at(path, f"where/{n}"))
        self.compared_number(rule.op, rule.value, path)

    def orders(self, rule: Aggregate, call: str, path: str) -> None:
        if rule.event is not None:
            self.fail(f"orders have no event name; remove {describe(rule.event)}", _at(path, "event"))
        if rule.function == "count":
            if rule.measure is not None:
                self.fail(f"{call} counts orders and takes no measure", _at(path, "measure"))
        elif rule.measure is None:
            self.fail(f"{call} needs a measure: {call}(amount, …)", path)
        elif rule.measure not in ORDER_MEASURES:
            self.fail(f"orders are measured by {', '.join(sorted(ORDER_MEASURES))}, not '{rule.measure}'"
                      f"{did_you_mean(rule.measure, ORDER_MEASURES)}", _at(path, "measure"))

    def events(self, rule: Aggregate, call: str, path: str) -> None:
        if rule.event is None:
            self.fail(f'{call} needs an event name first: {call}("page_view", …)', path)
        else:
            self.name(rule.event, "event name", _at(path, "event"))
        if rule.function == "count":
            if rule.measure is not None:
                self.fail(f"{call} counts events and takes no measure", _at(path, "measure"))
        elif rule.measure is None:
            self.fail(f'{call} needs a property to measure: {call}("purchase", value, …)', path)
        else:
            self.name(rule.measure, "property name", _at(path, "measure"))

    def condition(self, source: str, condition: Condition, path: str) -> None:
        name = condition.field
        if source == "events" and name not in EVENT_COLUMNS:
            self.name(name, "property name", _at(path, "field"))
            self.typed(condition, path, name, _ANY)
        elif source == "events":
            self.typed(condition, path, name, FieldType.TEXT)
        elif name in ORDER_FIELDS:
            self.typed(condition, path, name, ORDER_FIELDS[name])
        else:
            self.fail(f"unknown order field '{name}'{did_you_mean(name, sorted(ORDER_FIELDS))}; order fields are "
                      f"{', '.join(ORDER_FIELDS)}", _at(path, "field"))
            self.shape(condition, path)


def value_problem(value: Value, name: str, kind: FieldType | None, choices: tuple[str, ...], op: Op) -> str | None:
    """Why one value cannot be compared with the field, or None."""
    if isinstance(value, str) and text_problem(value):
        return text_problem(value)
    if kind is None:
        return _property_problem(value, op)
    if kind is FieldType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} is a number field; compare it with a number, not {describe(value)}"
        return number_problem(value)
    if kind is FieldType.BOOLEAN:
        return None if isinstance(value, bool) else (
            f"{name} is a true/false field; compare it with true or false, not {describe(value)}")
    if kind in (FieldType.DATE, FieldType.DATETIME):
        return _date_problem(value, name, kind)
    if not isinstance(value, str):
        return f"{name} is {TYPE_WORDS[kind]}; compare it with text in quotes, not {describe(value)}"
    if kind is FieldType.CHOICE and value not in choices:
        return (f"{format_value(value)} is not a value of {name} ({', '.join(choices)})"
                f"{did_you_mean(value, choices)}")
    return None


def _date_problem(value: Value, name: str, kind: FieldType) -> str | None:
    if isinstance(value, Ago):
        return None
    example = '"2026-01-31"' if kind is FieldType.DATE else '"2026-01-31" or "2026-01-31T09:30:00Z"'
    if not isinstance(value, str):
        return f"{name} is {TYPE_WORDS[kind]}; compare it with a date such as 30d ago or {example}, not {describe(value)}"
    try:
        (date.fromisoformat if kind is FieldType.DATE else datetime.fromisoformat)(value)
    except ValueError:
        return f"{describe(value)} is not a date; write dates as {example}"
    return None


def _property_problem(value: Value, op: Op) -> str | None:
    """Event properties have no declared type, but the value must suit the operator."""
    if isinstance(value, Ago):
        return "event properties compare with text, numbers or true/false, not a duration"
    if isinstance(value, int | float) and not isinstance(value, bool) and number_problem(value):
        return number_problem(value)
    if op in TEXT_OPS and not isinstance(value, str):
        return f'"{op.value}" needs text in quotes, not {describe(value)}'
    if op in ORDERING and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        return f'"{op.value}" needs a number or text, not {describe(value)}'
    return None
