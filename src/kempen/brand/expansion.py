"""Expanding `{% content "key" %}` in a template part: the block's source put in place of the tag.

Expansion is textual and runs before a template is compiled, so CSS inlining, link tracking and the
derived text part see a block as if it had been written in place. HTML parts take a block's `html`,
every other part (subject, preheader, text, SMS body) its `text`. Blocks may use blocks, at most
`MAX_DEPTH` deep. Each line of the result remembers where it came from (the part's line, and the
innermost block and its line), so a problem found in the expanded source names the block it is in.

A tag inside `{% raw %}` or a `{# comment #}` is expanded too: expansion does not parse Jinja.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from kempen.templates.sandbox import CONTENT_KEY, RenderProblem, TemplateProblem

# Groups: 1 "-" trimming before, 2 or 3 the key, 4 "-" trimming after.
CONTENT_TAG = re.compile(r"\{%(-?)\s*content\s*(?:\"([^\"\n]*)\"|'([^'\n]*)')\s*(-?)%\}")
MAX_DEPTH = 3
Problem = TypeVar("Problem", TemplateProblem, RenderProblem)


@dataclass(frozen=True)
class BlockSource:
    """A content block's two versions: HTML for HTML parts, text for text parts and SMS."""

    html: str
    text: str
    version: int = 0


@dataclass(frozen=True)
class Origin:
    """Where a line of an expanded part comes from."""

    line: int                    # the line of the part as written (for a block's text: its tag's line)
    block: str | None = None     # the innermost block it comes from
    block_line: int | None = None

    def describe(self, message: str) -> str:
        return message if self.block is None else f"content block {self.block!r}, line {self.block_line}: {message}"


@dataclass(frozen=True)
class Expanded:
    """A part with its blocks expanded, and the origin of each of its lines."""

    source: str
    origins: tuple[Origin, ...]

    def relocate(self, problem: Problem) -> Problem:
        """The problem with the line as written, naming the block it is in."""
        if problem.line is None or not 1 <= problem.line <= len(self.origins):
            return problem
        origin = self.origins[problem.line - 1]
        return replace(problem, line=origin.line, message=origin.describe(problem.message))


@dataclass(frozen=True)
class _Segment:
    text: str
    path: tuple[str, ...]   # the blocks it is inside, outermost first
    tag_line: int | None    # the written line of the outermost tag (None: written text)
    start_line: int         # the line of `text`'s first character in its own source


def keys_used(source: str) -> list[str]:
    """The keys of the blocks a source names directly, in order."""
    return [m.group(2) if m.group(2) is not None else m.group(3) for m in CONTENT_TAG.finditer(source)]


def keys_used_transitively(sources: Iterable[str], blocks: Mapping[str, BlockSource]) -> set[str]:
    """The keys named by the sources and by the blocks they name (unknown keys included)."""
    found: set[str] = set()
    waiting = [key for source in sources for key in keys_used(source)]
    while waiting:
        key = waiting.pop()
        if key in found:
            continue
        found.add(key)
        if key in blocks:
            waiting += keys_used(blocks[key].html) + keys_used(blocks[key].text)
    return found


def expand(source: str, *, field: str, html: bool, blocks: Mapping[str, BlockSource]) -> Expanded:
    """Replace every content tag by its block's source; raise TemplateProblem naming the part and line."""
    if "content" not in source:  # most parts use no block: skip the regular expression
        return Expanded(source, tuple(Origin(n + 1) for n in range(source.count("\n") + 1)))
    segments: list[_Segment] = []
    _expand_into(segments, source, path=(), tag_line=None, field=field, html=html, blocks=blocks)
    return _assemble(segments)


def _expand_into(out: list[_Segment], source: str, *, path: tuple[str, ...], tag_line: int | None, field: str,
                 html: bool, blocks: Mapping[str, BlockSource]) -> None:
    position, trim_next = 0, False
    for match in CONTENT_TAG.finditer(source):
        start = position
        if trim_next:  # `-%}`: the whitespace after the tag goes, as Jinja would drop it
            start = len(source[:match.start()]) - len(source[position:match.start()].lstrip())
        text = source[start:match.start()]
        out.append(_Segment(text.rstrip() if match.group(1) else text, path, tag_line, _line_at(source, start)))
        here = _line_at(source, match.start())
        origin = Origin(tag_line or here, path[-1], here) if path else Origin(here)
        key = match.group(2) if match.group(2) is not None else match.group(3)
        body = _block_body(key, path, origin, field=field, html=html, blocks=blocks)
        _expand_into(out, body, path=(*path, key), tag_line=tag_line or here, field=field, html=html, blocks=blocks)
        position, trim_next = match.end(), bool(match.group(4))
    rest = source[position:]
    start = len(source) - len(rest.lstrip()) if trim_next else position
    out.append(_Segment(source[start:], path, tag_line, _line_at(source, start)))


def _block_body(key: str, path: tuple[str, ...], origin: Origin, *, field: str, html: bool,
                blocks: Mapping[str, BlockSource]) -> str:
    def problem(message: str) -> TemplateProblem:
        return TemplateProblem(origin.describe(message), origin.line, field)

    if not CONTENT_KEY.fullmatch(key):
        raise problem(f"{key!r} is not a content block key (lower-case letters, digits, '-' and '_')")
    if key in path:
        raise problem(f"content blocks use each other in a cycle: {' → '.join((*path[path.index(key):], key))}")
    if len(path) >= MAX_DEPTH:
        raise problem(f"content blocks nested more than {MAX_DEPTH} deep: {' → '.join((*path, key))}")
    block = blocks.get(key)
    if block is None:
        raise problem(f"unknown content block {key!r}")
    body = block.html if html else block.text
    if not body.strip():
        raise problem(f"content block {key!r} has no {'HTML' if html else 'text'} version")
    return body


def _line_at(source: str, index: int) -> int:
    return source.count("\n", 0, index) + 1


def _assemble(segments: list[_Segment]) -> Expanded:
    origins: list[Origin] = []
    for segment in segments:
        for offset, piece in enumerate(segment.text.split("\n")):
            line = segment.start_line + offset
            origin = (Origin(segment.tag_line or line, segment.path[-1], line) if segment.path else Origin(line))
            if offset or not origins:
                origins.append(origin)
            elif piece.strip() and segment.path:
                # A line that mixes written text and a block's: a problem on it is more likely the block's.
                origins[-1] = origin
    return Expanded("".join(segment.text for segment in segments), tuple(origins))
