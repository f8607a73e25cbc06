"""Tokens of the rule text: words, quoted text and names, numbers, durations, operators, brackets.

Lines are separated by "\\n"; columns count characters from 1. A `#` outside quotes starts a
comment running to the end of its line.
"""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass

from kempen.segments.errors import RuleError


class Kind(enum.Enum):
    WORD = "word"  # an identifier or keyword, possibly dotted: country, AND, orders.count
    NAME = "name"  # a back-quoted name: `last`
    STRING = "string"
    NUMBER = "number"
    DURATION = "duration"  # 30d
    OP = "operator"  # = != < <= > >=
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    END = "end"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # as written
    value: object  # decoded: str for words/names/strings, int | float for numbers, (int, unit) for durations
    line: int
    column: int
    end_column: int  # just past the token

    @property
    def word(self) -> str:
        """The lower-cased text of a word, for case-insensitive keyword matching ("" otherwise)."""
        return self.text.lower() if self.kind is Kind.WORD else ""

    def describe(self) -> str:
        """The token in plain words, for "found …" in messages."""
        if self.kind is Kind.END:
            return "end of input"
        shown = self.text if len(self.text) <= 40 else self.text[:37] + "..."
        if self.kind is Kind.STRING:
            return f"the text {shown}"
        return f'"{shown}"'


MAX_INT = 2**63 - 1
TIME_UNITS = frozenset("hdwy")
_SPACE = re.compile(r"(?:[^\S\n]+|\n|#[^\n]*)+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_SUFFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OP = re.compile(r"!=|<=|>=|=|<|>")
_PUNCT = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA}
_ESCAPES = {'"': '"', "'": "'", "`": "`", "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_HEX = re.compile(r"[0-9a-fA-F]+")


class Lexer:
    """Splits rule text into tokens; raises RuleError at the first character it cannot read."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def tokens(self) -> list[Token]:
        """All tokens, ending with an END token."""
        out: list[Token] = []
        while True:
            self._skip_space()
            if self.pos >= len(self.text):
                out.append(self._token(Kind.END, self.pos, self.pos, None))
                return out
            out.append(self._next())

    def where(self, pos: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        line = bisect.bisect_right(self._line_starts, pos)
        return line, pos - self._line_starts[line - 1] + 1

    def error(self, message: str, start: int, end: int | None = None) -> RuleError:
        line, column = self.where(start)
        end_line, end_column = self.where(end if end is not None else start + 1)
        return RuleError(message, line, column, end_column if end_line == line else None)

    def _skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def _token(self, kind: Kind, start: int, end: int, value: object) -> Token:
        line, column = self.where(start)
        return Token(kind, self.text[start:end], value, line, column, column + (end - start))

    def _next(self) -> Token:
        start, ch = self.pos, self.text[self.pos]
        value: object
        if ch in "\"'`":
            value, end = self._quoted(start, ch)
            kind = Kind.NAME if ch == "`" else Kind.STRING
        elif match := _WORD.match(self.text, start):
            kind, value, end = Kind.WORD, match.group(), match.end()
        elif match := _NUMBER.match(self.text, start):
            kind, value, end = self._number(match)
        elif match := _OP.match(self.text, start):
            kind, value, end = Kind.OP, match.group(), match.end()
        elif ch in _PUNCT:
            kind, value, end = _PUNCT[ch], ch, start + 1
        else:
            raise self.error(f"unexpected character {_show_char(ch)}", start)
        self.pos = end
        return self._token(kind, start, end, value)

    def _number(self, match: re.Match[str]) -> tuple[Kind, object, int]:
        start, end = match.span()
        suffix = _SUFFIX.match(self.text, end)
        if suffix:
            return self._duration(match, suffix)
        literal = match.group()
        if match.group(1) or match.group(2):
            number: int | float = float(literal)
            if number in (float("inf"), float("-inf")):
                raise self.error(f"the number {literal} is too large", start, end)
        else:
            digits = literal.lstrip("-")
            number = int(literal) if len(digits) <= 20 else MAX_INT + 1
            if not -MAX_INT - 1 <= number <= MAX_INT:
                raise self.error(f"the number {_shorten(literal)} is too large", start, end)
        return Kind.NUMBER, number, end

    def _duration(self, number: re.Match[str], suffix: re.Match[str]) -> tuple[Kind, object, int]:
        start, end = number.start(), suffix.end()
        written, unit = self.text[start:end], suffix.group()
        if unit.lower() not in TIME_UNITS:
            raise self.error(f'"{_shorten(written)}" is not a duration; write a whole number and one of '
                             "h, d, w or y, such as 30d", start, end)
        if number.group(1) or number.group(2) or number.group().startswith("-"):
            raise self.error(f'"{_shorten(written)}" is not a duration; durations are whole numbers '
                             "of h, d, w or y, such as 30d", start, end)
        amount = int(number.group()) if len(number.group()) <= 7 else 10**7
        if amount > 100_000:
            raise self.error(f"the duration {_shorten(written)} is too long; at most 100000{unit.lower()}",
                             start, end)
        return Kind.DURATION, (amount, unit.lower()), end

    def _quoted(self, start: int, quote: str) -> tuple[str, int]:
        """Decode quoted text or a back-quoted name starting at `start`; return it and where it ends."""
        out: list[str] = []
        pos = start + 1
        what = "name" if quote == "`" else "text"
        while True:
            if pos >= len(self.text) or self.text[pos] == "\n":
                raise self.error(f"the {what} starting here is not closed; add a closing {quote}", start)
            ch = self.text[pos]
            if ch == quote:
                return "".join(out), pos + 1
            if ch == "\\":
                decoded, pos = self._escape(pos)
                out.append(decoded)
            else:
                out.append(ch)
                pos += 1

    def _escape(self, pos: int) -> tuple[str, int]:
        code = self.text[pos + 1:pos + 2]
        if code in _ESCAPES:
            return _ESCAPES[code], pos + 2
        if code in ("u", "U"):
            width = 4 if code == "u" else 8
            digits = self.text[pos + 2:pos + 2 + width]
            if len(digits) == width and _HEX.fullmatch(digits) and int(digits, 16) <= 0x10FFFF:
                return chr(int(digits, 16)), pos + 2 + width
            raise self.error(f"\\{code} needs {width} hex digits, such as \\u00e9", pos, pos + 2)
        shown = _show_char(code) if code and code != "\n" else "the end of the line"
        raise self.error(f"unknown escape \\ before {shown}; write \\\\ for a backslash, \\\" for a quote",
                         pos, pos + 2)


def _show_char(ch: str) -> str:
    return f'"{ch}"' if ch.isprintable() else f"U+{ord(ch):04X}"


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else text[:21] + "..."


def tokenize(text: str) -> list[Token]:
    """The tokens of a rule text, ending with END."""
    return Lexer(text).tokens()


# Words with a meaning where a field name may stand; such a field is written back-quoted: `tag`.
FIELD_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "tag", "in_list", "in_segment", "ever", "never",
                            "clicked", "days_since"})
KEYWORDS = FIELD_KEYWORDS | {"in", "not_in", "contains", "starts_with", "ends_with", "is", "set", "ago", "last",
                             "where", "campaign"}
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_plain_name(name: str) -> bool:
    """Whether a field or property name can be written without back-quotes."""
    return bool(_PLAIN_NAME.fullmatch(name)) and name.lower() not in KEYWORDS


class TokenCursor:
    """Reading position in the tokens of one rule text, with positioned errors."""

    def __init__(self, text: str) -> None:
        self.tokens = Lexer(text).tokens()
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def previous(self) -> Token:
        return self.tokens[max(self.i - 1, 0)]

    def error(self, message: str, tok: Token) -> RuleError:
        """An error at `tok`; at the end of input, at the last token (the one that needed more)."""
        if tok.kind is Kind.END and len(self.tokens) > 1:
            tok = self.tokens[-2]
        return RuleError(message, tok.line, tok.column, tok.end_column)

    def expected(self, what: str, tok: Token) -> RuleError:
        return self.error(f"expected {what}, found {tok.describe()}", tok)

    def expect(self, kind: Kind, what: str) -> Token:
        tok = self.advance()
        if tok.kind is not kind:
            raise self.expected(what, tok)
        return tok

    def expect_word(self, word: str, what: str) -> Token:
        tok = self.advance()
        if tok.word != word:
            raise self.expected(what, tok)
        return tok

    def unclosed(self, opening: Token) -> RuleError:
        return RuleError('this "(" is never closed; add a ")"', opening.line, opening.column, opening.end_column)
