"""Errors in segment rules, positioned in the text a user typed or at a path in the JSON form.

A `RuleError` from text has a 1-based `line` and `column` (and `end_column`, just past the offending
token, when it sits on one line). A `RuleError` found in a tree (`checker.check_rule` on JSON input)
has `path`, a JSON-pointer-like path such as "rules/1/value", and `line == column == 0`;
`parser.parse_rule` fills in both. `str(err)` leads with the line and column when there are any.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Protocol


class RuleError(Exception):
    """One problem in a rule, with where it is."""

    def __init__(self, message: str, line: int = 0, column: int = 0, end_column: int | None = None,
                 path: str | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.end_column = end_column
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line:
            return f"line {self.line}, column {self.column}: {self.message}"
        if self.path is not None:
            return f"at {self.path or '/'}: {self.message}"
        return self.message

    def __repr__(self) -> str:
        return (f"RuleError({self.message!r}, line={self.line}, column={self.column}, "
                f"end_column={self.end_column}, path={self.path!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleError) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self) -> tuple[type[RuleError], tuple[str, int, int, int | None, str | None]]:
        return (type(self), self._key())

    def _key(self) -> tuple[str, int, int, int | None, str | None]:
        return (self.message, self.line, self.column, self.end_column, self.path)

    @property
    def errors(self) -> list[RuleError]:
        """This error as a list, so callers can handle RuleError and RuleErrors alike."""
        return [self]

    def at(self, line: int, column: int, end_column: int | None) -> RuleError:
        """A copy of this error positioned in text."""
        return RuleError(self.message, line, column, end_column, self.path)


class RuleErrors(Exception):
    """Several problems in one rule (the type checker reports all it finds), in text order."""

    def __init__(self, errors: Iterable[RuleError]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def __reduce__(self) -> tuple[type[RuleErrors], tuple[list[RuleError]]]:
        return (type(self), (self.errors,))


class _Located(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def end_column(self) -> int: ...


# Where things are in rule text: (line, column, end_column), by JSON path ("" is the whole rule).
Span = tuple[int, int, int | None]
Spans = dict[str, Span]


def span(first: _Located, last: _Located | None = None) -> Span:
    """The span from the start of `first` to the end of `last` (end_column None across lines)."""
    last = last or first
    return first.line, first.column, last.end_column if last.line == first.line else None


def nest(prefix: str, spans: Spans) -> Spans:
    """Child spans under the path of their parent."""
    return {(f"{prefix}/{path}" if path else prefix): where for path, where in spans.items()}


def locate(error: RuleError, spans: Spans) -> RuleError:
    """Position an error found in a tree at the text its path (or the nearest enclosing one) came from."""
    path = error.path or ""
    while path not in spans and path:
        path = path.rpartition("/")[0]
    line, column, end_column = spans.get(path, (1, 1, None))
    return error.at(line, column, end_column)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return the "did you mean" hint for the candidate closest to a misspelt name, or nothing."""
    candidates = list(candidates)
    folded = [c for c in candidates if c.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
