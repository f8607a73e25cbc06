"""The text form of segment rules: a recursive-descent parser producing the tree of `rules.py`.

    rule      := or_expr END
    or_expr   := and_expr ("or" and_expr)*
    and_expr  := not_expr ("and" not_expr)*
    not_expr  := "not" not_expr | atom
    atom      := "(" or_expr ")" | compare | tag | in_list | in_segment | consent | call
    tag       := "tag" text            (also in_list, in_segment)
    consent   := "consent." channel

Comparisons, values and calls are in `terms.py`. Keywords are case-insensitive; field names are
not. `a and b and c` is one And of three rules while `a and (b and c)` keeps its nesting, so every
tree prints and parses back unchanged. The parser checks syntax only; `parse_rule(text, catalogue)`
also runs `checker.check_rule` and positions its errors at the tokens they concern.
See docs/segments.md for the language.
"""

from __future__ import annotations

from collections.abc import Callable

from kempen.segments.checker import check_rule
from kempen.segments.errors import RuleError, RuleErrors, Spans, did_you_mean, locate, nest, span
from kempen.segments.fields import FieldCatalogue
from kempen.segments.lexer import FIELD_KEYWORDS, Kind, Token
from kempen.segments.rules import And, Compare, HasConsent, HasTag, InList, InSegment, Not, Or, Rule
from kempen.segments.terms import SOURCES, TermParser

MAX_TEXT = 100_000
MAX_NESTING = 64  # brackets and `not`s inside one another; keeps every walk of the tree shallow
NAMED: dict[str, type[HasTag | InList | InSegment]] = {"tag": HasTag, "in_list": InList, "in_segment": InSegment}
CHANNELS = ("email", "sms", "push", "ads", "direct_mail")
_CALLS = ("ever", "never", "clicked", "days_since")


def parse_rule(text: str, catalogue: FieldCatalogue | None = None) -> Rule:
    """Parse rule text; with a catalogue, also type-check it.

    Raises RuleError at the first syntax error, and RuleErrors with every type error the checker
    finds (in text order, each positioned at its token), even when there is only one.
    """
    rule, spans = parse_located(text)
    if catalogue is not None:
        errors = check_rule(rule, catalogue)
        if errors:
            raise RuleErrors(sorted((locate(e, spans) for e in errors), key=lambda e: (e.line, e.column)))
    return rule


def parse_located(text: str) -> tuple[Rule, Spans]:
    """Parse rule text into a tree and the text span of each node and value, by path ("rules/1/value")."""
    if len(text) > MAX_TEXT:
        raise RuleError(f"the rule is too long: {len(text)} characters, at most {MAX_TEXT}", 1, 1)
    return Parser(text).parse()


class Parser(TermParser):
    """One pass over the tokens of one rule text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.nesting = 0

    def parse(self) -> tuple[Rule, Spans]:
        if self.peek().kind is Kind.END:
            raise RuleError("the rule is empty", 1, 1)
        rule, spans = self.or_expr()
        tok = self.peek()
        if tok.kind is Kind.RPAREN:
            raise self.error('this ")" has no matching "("', tok)
        if tok.kind is not Kind.END:
            raise self.expected('"and", "or" or the end of the rule', tok)
        return rule, spans

    def or_expr(self) -> tuple[Rule, Spans]:
        return self.joined("or", self.and_expr)

    def and_expr(self) -> tuple[Rule, Spans]:
        return self.joined("and", self.not_expr)

    def joined(self, word: str, operand: Callable[[], tuple[Rule, Spans]]) -> tuple[Rule, Spans]:
        first = self.peek()
        parts = [operand()]
        while self.peek().word == word:
            self.advance()
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        spans: Spans = {"": span(first, self.previous())}
        for n, (_, child) in enumerate(parts):
            spans.update(nest(f"rules/{n}", child))
        rules = tuple(rule for rule, _ in parts)
        return (Or(rules=rules) if word == "or" else And(rules=rules)), spans

    def not_expr(self) -> tuple[Rule, Spans]:
        if self.peek().word != "not":
            return self.atom()
        first = self.advance()
        self.enter(first)
        rule, child = self.not_expr()
        self.nesting -= 1
        return Not(rule=rule), {"": span(first, self.previous()), **nest("rule", child)}

    def enter(self, tok: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"the rule is nested too deeply (more than {MAX_NESTING} brackets and nots)", tok)

    def group(self) -> tuple[Rule, Spans]:
        opening = self.advance()
        self.enter(opening)
        rule, spans = self.or_expr()
        self.close(opening, '"and", "or" or ")"')
        self.nesting -= 1
        return rule, spans

    def atom(self) -> tuple[Rule, Spans]:
        tok, word = self.peek(), self.peek().word
        if tok.kind is Kind.LPAREN:
            return self.group()
        if tok.kind is Kind.NAME:
            return self.compare()
        if tok.kind is Kind.WORD:
            if word in NAMED:
                return self.named()
            if word.startswith("consent."):
                return self.consent()
            dotted = "." in word and word.partition(".")[0] in SOURCES
            if word in _CALLS or dotted or self.peek(1).kind is Kind.LPAREN:
                return self.call()
            if word not in FIELD_KEYWORDS:
                return self.compare()
        if self.i == 0:
            raise self.expected('a condition such as country = "MY"', tok)
        raise self.expected(f"a condition after {self.previous().describe()}", tok)

    def named(self) -> tuple[Rule, Spans]:
        keyword = self.advance()
        name = self.expect(Kind.STRING, f'a name in quotes after {keyword.describe()}, such as {keyword.word} "vip"')
        rule: Rule = NAMED[keyword.word](name=str(name.value))
        return rule, {"": span(keyword, name), "name": span(name)}

    def consent(self) -> tuple[Rule, Spans]:
        tok = self.advance()
        channel = tok.word.removeprefix("consent.")
        if channel not in CHANNELS:
            raise self.error(f"unknown consent channel '{channel}' (channels are {', '.join(CHANNELS)})"
                             f"{did_you_mean(channel, CHANNELS)}", tok)
        return HasConsent(channel=channel), {"": span(tok), "channel": span(tok)}

    def compare(self) -> tuple[Rule, Spans]:
        first = self.peek()
        field, op, value, spans = self.condition()
        spans[""] = span(first, self.previous())
        return Compare(field=field, op=op, value=value), spans
