"""The canonical text form of a rule tree: one line, minimal brackets, parsed back to the same tree.

Brackets follow precedence (not > and > or) and are added only where needed, plus where an And
sits directly in an And (or an Or in an Or): the tree keeps that nesting, so its text must too.
"""

from __future__ import annotations

import math

from kempen.segments.lexer import is_plain_name
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
    Rule,
    Value,
)

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_NAMED = {HasTag: "tag", InList: "in_list", InSegment: "in_segment"}


def format_rule(rule: Rule) -> str:
    """The canonical text of a rule (raises ValueError for numbers that are not finite)."""
    if isinstance(rule, Or):
        return " or ".join(_operand(r, Or) for r in rule.rules)
    if isinstance(rule, And):
        return " and ".join(_operand(r, And) for r in rule.rules)
    if isinstance(rule, Not):
        inner = format_rule(rule.rule)
        return f"not ({inner})" if isinstance(rule.rule, And | Or) else f"not {inner}"
    return _atom(rule)


def _operand(rule: Rule, parent: type[And] | type[Or]) -> str:
    text = format_rule(rule)
    needs_brackets = isinstance(rule, Or) or (parent is And and isinstance(rule, And))
    return f"({text})" if needs_brackets else text


def _atom(rule: Rule) -> str:
    if isinstance(rule, Compare):
        return format_condition(rule)
    if isinstance(rule, DaysSince):
        return f"days_since({format_name(rule.field)}) {rule.op.value} {format_number(rule.value)}"
    if isinstance(rule, Aggregate):
        return _aggregate(rule)
    if isinstance(rule, Ever):
        name = "never" if rule.negated else "ever"
        return f"{name}({_call_args(format_string(rule.event), rule.window)})"
    if isinstance(rule, Clicked):
        return f"clicked({_call_args('campaign ' + format_string(rule.campaign), rule.window)})"
    if isinstance(rule, HasTag | InList | InSegment):
        return f"{_NAMED[type(rule)]} {format_string(rule.name)}"
    if isinstance(rule, HasConsent):
        return f"consent.{rule.channel}"
    raise TypeError(f"not a rule: {rule!r}")


def _call_args(first: str, window: Duration | None) -> str:
    return f"{first}, last {format_duration(window)}" if window else first


def _aggregate(rule: Aggregate) -> str:
    args = []
    if rule.event is not None:
        args.append(format_string(rule.event))
    if rule.measure is not None:
        args.append(format_name(rule.measure))
    if rule.where:
        args.append("where " + " and ".join(format_condition(c) for c in rule.where))
    if rule.window is not None:
        args.append(f"last {format_duration(rule.window)}")
    return f"{rule.source}.{rule.function}({', '.join(args)}) {rule.op.value} {format_number(rule.value)}"


def format_condition(condition: Compare | Condition) -> str:
    """`field op value`."""
    field = format_name(condition.field)
    if condition.op is Op.IS_SET:
        return f"{field} is set"
    if condition.op is Op.IS_NOT_SET:
        return f"{field} is not set"
    return f"{field} {condition.op.value} {format_value(condition.value)}"


def format_value(value: Value) -> str:
    """A value as written in rule text: "MY", 5, 2.5, true, 30d ago, ("a", "b")."""
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, Ago):
        return f"{format_duration(value.ago)} ago"
    if isinstance(value, list):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    return "nothing"  # no text spells a missing value; the checker refuses it before anyone prints it


def format_number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"numbers in rules must be finite, not {value}")
    return repr(value)


def format_duration(duration: Duration) -> str:
    return f"{duration.amount}{duration.unit.value}"


def format_string(text: str, quote: str = '"') -> str:
    """Quoted text with escapes for the quote, backslashes and anything unprintable."""
    out = []
    for ch in text:
        if ch == quote:
            out.append("\\" + ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def format_name(name: str) -> str:
    """A field, property or measure name, back-quoted when it is a keyword or not a plain word."""
    return name if is_plain_name(name) else format_string(name, "`")
