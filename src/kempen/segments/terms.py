"""The parts of rule text below and/or/not: conditions, values and the function-like atoms.

    compare    := field op value | field "is" ["not"] "set"
    field      := word | `back-quoted name`
    value      := text | number | "true" | "false" | duration "ago" | "(" item ("," item)* ")"
    ever       := ("ever" | "never") "(" text ["," window] ")"
    clicked    := "clicked" "(" "campaign" text ["," window] ")"
    days_since := "days_since" "(" field ")" comparison number
    aggregate  := ("orders" | "events") "." function "(" [arg ("," arg)*] ")" comparison number
    arg        := text (event name) | field (measure) | "where" condition ("and" condition)* | window
    window     := "last" duration
"""

from __future__ import annotations

from typing import cast

from kempen.segments.errors import Spans, did_you_mean, nest, span
from kempen.segments.lexer import FIELD_KEYWORDS, Kind, Token, TokenCursor
from kempen.segments.rules import (
    Aggregate,
    Ago,
    Clicked,
    Condition,
    DaysSince,
    Duration,
    Ever,
    Op,
    Rule,
    TimeUnit,
    Value,
)

SYMBOL_OPS = {op.value: op for op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE)}
WORD_OPS = {op.value: op for op in (Op.IN, Op.NOT_IN, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH)}
SOURCES = ("orders", "events")
AGGREGATES = ("count", "sum", "avg", "min", "max")
FUNCTIONS = ("ever", "never", "clicked", "days_since", *(f"{s}.{f}" for s in SOURCES for f in AGGREGATES))
_USAGE = {"orders": 'orders.sum(amount, where category = "shoes", last 90d)',
          "events": 'events.count("page_view", where url contains "/pricing", last 7d)'}
_ARGUMENTS = ("event name", "measure", '"where"', '"last"')


class TermParser(TokenCursor):
    """Parses comparisons, values and calls; `Parser` adds and/or/not on top."""

    # -- conditions and values ----------------------------------------------------------------------

    def field_name(self, what: str) -> str:
        tok = self.advance()
        if tok.kind is Kind.NAME or (tok.kind is Kind.WORD and tok.word not in FIELD_KEYWORDS):
            return str(tok.value)
        if tok.kind is Kind.WORD:
            raise self.error(f'"{tok.text}" is a keyword; write `{tok.text}` for a field of that name', tok)
        raise self.expected(what, tok)

    def condition(self) -> tuple[str, Op, Value, Spans]:
        """`field op value`, as in a comparison or an aggregate's `where`."""
        field_tok = self.peek()
        field = self.field_name("a field name")
        op_first = self.peek()
        op = self.operator(field_tok)
        op_tok = self.previous()
        spans: Spans = {"field": span(field_tok), "op": span(op_first, op_tok)}
        if op in (Op.IS_SET, Op.IS_NOT_SET):
            return field, op, None, spans
        value_first = self.peek()
        value: Value = self.values(op_tok, spans) if op in (Op.IN, Op.NOT_IN) else self.scalar(op_tok)
        spans["value"] = span(value_first, self.previous())
        return field, op, value, spans

    def operator(self, after: Token) -> Op:
        tok = self.advance()
        if tok.kind is Kind.OP:
            return SYMBOL_OPS[tok.text]
        if tok.word in WORD_OPS:
            return WORD_OPS[tok.word]
        if tok.word == "is":
            negated = self.peek().word == "not"
            if negated:
                self.advance()
            self.expect_word("set", f'"set" or "not set" after {tok.describe()}')
            return Op.IS_NOT_SET if negated else Op.IS_SET
        if tok.word == "not":
            self.expect_word("in", '"in" after "not"')
            return Op.NOT_IN
        raise self.expected(f'an operator such as =, !=, >, in, contains or "is set" after {after.describe()}', tok)

    def scalar(self, after: Token) -> str | int | float | bool | Ago:
        tok = self.advance()
        if tok.kind is Kind.STRING:
            return str(tok.value)
        if tok.kind is Kind.NUMBER:
            if self.peek().word == "ago":
                raise self.expected('a duration such as 30d before "ago"', tok)
            return tok.value  # type: ignore[return-value]
        if tok.kind is Kind.DURATION:
            self.expect_word("ago", f'"ago" after {tok.describe()}, as in {tok.text} ago')
            return Ago(ago=self.duration(tok))
        if tok.word in ("true", "false"):
            return tok.word == "true"
        if tok.kind is Kind.LPAREN:
            raise self.error(f'a list of values goes with "in" or "not_in", not with {after.describe()}', tok)
        if tok.kind is Kind.WORD:
            raise self.error(f"expected a value after {after.describe()}, found {tok.describe()}; "
                             f'write text in quotes: "{tok.text}"', tok)
        raise self.expected(f"a value after {after.describe()}", tok)

    def values(self, after: Token, spans: Spans) -> list[str | int | float]:
        """A bracketed list of text and numbers, for `in` and `not_in`."""
        opening = self.advance()
        if opening.kind is not Kind.LPAREN:
            raise self.expected(f'a list such as ("a", "b") after {after.describe()}', opening)
        items: list[str | int | float] = []
        while True:
            tok = self.advance()
            if tok.kind is Kind.RPAREN and not items:
                raise self.error("the list is empty; put at least one value between the brackets", tok)
            if tok.kind not in (Kind.STRING, Kind.NUMBER):
                raise self.unclosed(opening) if tok.kind is Kind.END else self.expected(
                    "text in quotes or a number in the list", tok)
            spans[f"value/{len(items)}"] = span(tok)
            items.append(tok.value)  # type: ignore[arg-type]
            tok = self.advance()
            if tok.kind is Kind.RPAREN:
                return items
            if tok.kind is not Kind.COMMA:
                raise self.unclosed(opening) if tok.kind is Kind.END else self.expected('"," or ")" in the list', tok)

    def duration(self, tok: Token) -> Duration:
        amount, unit = cast(tuple[int, str], tok.value)
        return Duration(amount=amount, unit=TimeUnit(unit))

    def window(self) -> tuple[Duration, Spans]:
        """`last 30d`."""
        last = self.expect_word("last", '"last" and a duration, such as last 30d')
        tok = self.expect(Kind.DURATION, 'a duration such as 30d after "last"')
        return self.duration(tok), {"window": span(last, tok)}

    def where(self) -> tuple[tuple[Condition, ...], Spans]:
        """`where` and its conditions, joined by `and`."""
        self.advance()
        conditions: list[Condition] = []
        spans: Spans = {}
        while True:
            first = self.peek()
            field, op, value, parts = self.condition()
            conditions.append(Condition(field=field, op=op, value=value))
            parts[""] = span(first, self.previous())
            spans.update(nest(f"where/{len(conditions) - 1}", parts))
            if self.peek().word != "and":
                return tuple(conditions), spans
            self.advance()

    def close(self, opening: Token, what: str) -> None:
        tok = self.advance()
        if tok.kind is Kind.END:
            raise self.unclosed(opening)
        if tok.kind is not Kind.RPAREN:
            raise self.expected(what, tok)

    def compared_number(self, after: str) -> tuple[Op, int | float, Spans]:
        """`>= 2` after a function call."""
        tok = self.advance()
        if tok.kind is not Kind.OP:
            raise self.expected(f"a comparison such as >= 2 after {after}", tok)
        number = self.advance()
        if number.kind is Kind.DURATION:
            raise self.expected(f'a number after "{tok.text}" (write the number alone)', number)
        if number.kind is not Kind.NUMBER:
            raise self.expected(f'a number after "{tok.text}"', number)
        return SYMBOL_OPS[tok.text], number.value, {"op": span(tok), "value": span(number)}  # type: ignore[return-value]

    # -- calls ----------------------------------------------------------------------------------------

    def call(self) -> tuple[Rule, Spans]:
        """A function-like atom: ever, never, clicked, days_since, orders.*, events.*."""
        name = self.advance()
        if name.word not in FUNCTIONS:
            raise self.error(f"unknown function '{name.text}'{did_you_mean(name.word, FUNCTIONS)}", name)
        opening = self.expect(Kind.LPAREN, f'"(" after {name.describe()}')
        if name.word in ("ever", "never"):
            rule, spans = self.ever(name, opening)
        elif name.word == "clicked":
            rule, spans = self.clicked(opening)
        elif name.word == "days_since":
            rule, spans = self.days_since(opening)
        else:
            rule, spans = self.aggregate(name, opening)
        spans[""] = span(name, self.previous())
        return rule, spans

    def ever(self, name: Token, opening: Token) -> tuple[Rule, Spans]:
        event = self.expect(Kind.STRING, f'an event name in quotes, such as {name.word}("signup")')
        window, spans = self.optional_window(opening)
        rule = Ever(event=str(event.value), negated=name.word == "never", window=window)
        return rule, {"event": span(event), **spans}

    def clicked(self, opening: Token) -> tuple[Rule, Spans]:
        self.expect_word("campaign", 'campaign and its name, such as clicked(campaign "spring-sale")')
        campaign = self.expect(Kind.STRING, 'a campaign name in quotes after "campaign"')
        window, spans = self.optional_window(opening)
        return Clicked(campaign=str(campaign.value), window=window), {"campaign": span(campaign), **spans}

    def optional_window(self, opening: Token) -> tuple[Duration | None, Spans]:
        if self.peek().kind is not Kind.COMMA:
            self.close(opening, '"," or ")"')
            return None, {}
        self.advance()
        window, spans = self.window()
        self.close(opening, '")"')
        return window, spans

    def days_since(self, opening: Token) -> tuple[Rule, Spans]:
        field_tok = self.peek()
        field = self.field_name("a date field, such as days_since(last_order)")
        self.close(opening, '")"')
        op, value, spans = self.compared_number("days_since(...)")
        return DaysSince(field=field, op=op, value=value), {"field": span(field_tok), **spans}

    def aggregate(self, name: Token, opening: Token) -> tuple[Rule, Spans]:
        source, function = name.word.split(".")
        args: dict[str, object] = {}
        spans: Spans = {}
        stage = -1
        while self.peek().kind is not Kind.RPAREN or args:
            first = self.peek()
            kind = self.argument_kind(first, source, opening)
            if _ARGUMENTS.index(kind) <= stage:
                raise self.error(f"the {kind} cannot come here; arguments go in this order: {_USAGE[source]}", first)
            stage = _ARGUMENTS.index(kind)
            args[kind], parts = self.argument(kind)
            spans.update(parts)
            if self.peek().kind is not Kind.COMMA:
                break
            self.advance()
        self.close(opening, '"," or ")"')
        op, value, parts = self.compared_number(f"{name.text}(...)")
        rule = Aggregate(
            source=source, function=function, event=args.get("event name"), measure=args.get("measure"),
            where=args.get('"where"', ()), window=args.get('"last"'), op=op, value=value)
        return rule, {**spans, **parts}

    def argument_kind(self, tok: Token, source: str, opening: Token) -> str:
        if tok.kind is Kind.STRING:
            return "event name"
        if tok.word in ("where", "last"):
            return f'"{tok.word}"'
        if tok.kind is Kind.NAME or (tok.kind is Kind.WORD and tok.word not in FIELD_KEYWORDS):
            return "measure"
        if tok.kind is Kind.END:
            raise self.unclosed(opening)
        raise self.expected(f"an argument such as {_USAGE[source]}", tok)

    def argument(self, kind: str) -> tuple[object, Spans]:
        if kind == "event name":
            tok = self.advance()
            return tok.value, {"event": span(tok)}
        if kind == "measure":
            tok = self.peek()
            return self.field_name("a measure"), {"measure": span(tok)}
        if kind == '"where"':
            return self.where()
        return self.window()
