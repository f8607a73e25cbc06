"""Where a template's Jinja stands in its HTML: constructs found as Jinja's lexer finds them, HTML regions.

Used by `kempen.templates.protect` to decide how each construct can be hidden from premailer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from jinja2 import Environment

RAW_TEXT = frozenset({"style", "script", "title", "textarea"})
_RAW_BLOCK = re.compile(r"\{%[-+]?\s*raw\s*[-+]?%\}")
# One piece of markup outside text: a comment, a declaration or processing instruction, or a tag.
_MARKUP = re.compile(r"<!--|<[!?]|</?[A-Za-z]")
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
_ATTRIBUTE = re.compile(r"""([^\s/>=][^\s/>=]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
# Elements an HTML parser keeps in <head> when a fragment starts with them.
_HEAD_ELEMENT = re.compile(r"\s+|<!doctype\b[^>]*>|<(?:style|title)\b.*?</(?:style|title)\s*>|<(?:meta|link|base)\b[^>]*>",
                           re.IGNORECASE | re.DOTALL)
# Tags that open a block closed by an end tag; `set` does only without "=" (``{% set x %}…{% endset %}``).
_OPENERS = frozenset({"if", "for", "macro", "call", "filter", "with", "autoescape", "block"})


class Unprotectable(Exception):
    """The template's Jinja cannot be hidden from the HTML tool safely; inline per render instead."""


@dataclass(frozen=True, slots=True)
class Construct:
    start: int
    end: int
    kind: str  # "expr", "stmt" or "comment"
    # +1 for a tag opening a block, -1 for an end tag, 0 otherwise.
    nesting: int = 0


def _tag_end(source: str, start: int, kind: str) -> int:
    """Index just past the ``}}`` or ``%}`` closing a tag, skipping strings and brackets as Jinja does."""
    closer = "}" if kind == "expr" else "%"
    depth, i, n = 0, start + 2, len(source)
    while i < n:
        char = source[i]
        if char in "'\"":
            i += 1
            while i < n and source[i] != char:
                i += 2 if source[i] == "\\" else 1
        elif char in "([{":
            depth += 1
        elif char in ")]}" and depth:
            depth -= 1
        elif char == closer and depth == 0 and source.startswith("}", i + 1):
            return i + 2
        i += 1
    raise Unprotectable("an unterminated Jinja tag")


def nesting(env: Environment, statement: str) -> int:
    """How a ``{% … %}`` tag changes the block depth."""
    tokens = [(kind, value) for _, kind, value in env.lex(statement) if kind not in ("whitespace", "block_begin")]
    name = tokens[0][1] if tokens and tokens[0][0] == "name" else ""
    if name.startswith("end"):
        return -1
    if name in _OPENERS or (name == "set" and ("operator", "=") not in tokens):
        return 1
    return 0


def find_constructs(source: str, env: Environment) -> list[Construct]:
    """Locate every Jinja construct (default delimiters); refuse what we cannot split as Jinja does."""
    found: list[Construct] = []
    i = 0
    while (i := source.find("{", i)) >= 0:
        follower = source[i + 1:i + 2]
        if follower == "#":
            end = source.find("#}", i + 2)
            if end < 0:
                raise Unprotectable("an unterminated Jinja comment")
            found.append(Construct(i, end + 2, "comment"))
            i = end + 2
        elif follower in ("{", "%"):
            if follower == "%" and _RAW_BLOCK.match(source, i):
                raise Unprotectable("a {% raw %} block")
            end = _tag_end(source, i, "expr" if follower == "{" else "stmt")
            if follower == "{":
                found.append(Construct(i, end, "expr"))
            else:
                found.append(Construct(i, end, "stmt", nesting(env, source[i:end])))
            i = end
        else:
            i += 1
    lexed = Counter(kind for _, kind, _ in env.lex(source))
    ours = Counter(c.kind for c in found)
    if (lexed["variable_begin"], lexed["block_begin"], lexed["comment_begin"]) != (
            ours["expr"], ours["stmt"], ours["comment"]):
        raise Unprotectable("Jinja tags that could not be told apart from the HTML")
    return found


def mask(source: str, constructs: list[Construct]) -> str:
    """The source with every construct blanked out, so it cannot be mistaken for markup."""
    pieces, last = [], 0
    for c in constructs:
        pieces += [source[last:c.start], "j" * (c.end - c.start)]
        last = c.end
    pieces.append(source[last:])
    return "".join(pieces)


def html_regions(masked: str) -> list[tuple[int, str]]:
    """Split masked HTML into regions (start, where): text, comment, decl, tag, attr:<name>, raw:<tag>."""
    regions: list[tuple[int, str]] = [(0, "text")]
    lower = masked.lower()
    i, n = 0, len(masked)
    while i < n and (match := _MARKUP.search(masked, i)) is not None:
        start = match.start()
        if match.group() == "<!--":
            end = masked.find("-->", start + 4)
            end = n if end < 0 else end + 3
            regions += [(start, "comment"), (end, "text")]
        elif match.group() in ("<!", "<?"):
            end = masked.find(">", start)
            end = n if end < 0 else end + 1
            regions += [(start, "decl"), (end, "text")]
        else:
            end, name = _scan_tag(masked, start, regions)
            if name in RAW_TEXT and masked[start + 1] != "/":
                close = lower.find(f"</{name}", end)
                regions.append((end, f"raw:{name}"))
                end = n if close < 0 else close
            regions.append((end, "text"))
        i = end
    return regions


def _scan_tag(masked: str, start: int, regions: list[tuple[int, str]]) -> tuple[int, str]:
    """Add a tag's regions (its name and attributes as "tag", quoted values as "attr:<name>")."""
    name_match = _TAG_NAME.match(masked, start)
    assert name_match is not None
    regions.append((start, "tag"))
    i = name_match.end()
    while i < len(masked):
        if masked[i] == ">":
            return i + 1, name_match.group(1).lower()
        attribute = None if masked[i].isspace() or masked[i] == "/" else _ATTRIBUTE.match(masked, i)
        if attribute is None:  # whitespace, a "/" or a stray "=": skip it, as browsers do
            i += 1
            continue
        for group in (2, 3):
            if attribute.group(group) is not None:
                regions += [(attribute.start(group), "attr:" + attribute.group(1).lower()),
                            (attribute.end(group), "tag")]
        i = attribute.end()
    return len(masked), name_match.group(1).lower()


def head_end(fragment: str) -> int:
    """Where a parser starts the body of a fragment: after its doctype and leading <style>, <title>, <meta>, …"""
    i = 0
    while (match := _HEAD_ELEMENT.match(fragment, i)) is not None:
        i = match.end()
    return i
