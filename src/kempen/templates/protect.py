"""Hide a template's Jinja syntax from an HTML tool (premailer) and put it back afterwards.

Each Jinja construct becomes an inert token (lowercase letters and digits, which HTML parsers and
CSS inliners leave alone): ``{{ … }}`` a bare token; ``{% … %}`` an HTML comment holding a token
where it stands between elements (a comment is legal anywhere, text is not: a loop over ``<tr>``
rows stays inside its table) and a bare token inside an attribute value or comment; ``{# … #}`` is
dropped, and whitespace control (``{%- … -%}``) is applied to the source on the way.

Where a token could change what the tool does, protection is refused (`Unprotectable`) and the
caller inlines per render instead: Jinja inside ``<style>``, a tag or attribute name, an unquoted
attribute value or a declaration; a ``{% raw %}`` block; a ``{% %}`` tag inside a ``style``
attribute; Jinja in ``class``/``id`` when the template has a stylesheet (selectors would match the
template, not the rendered email); a ``<style>`` block inside a Jinja block (its rules would apply
unconditionally). `restore` checks that every statement came back once and in order, every
expression at least once and under the same statements, and that the parser did not move
``<html>``, ``<head>`` or ``<body>`` into a Jinja block, before it rebuilds the Jinja source.
"""

from __future__ import annotations

import bisect
import re
import secrets
from dataclasses import dataclass, field

from jinja2 import Environment, TemplateSyntaxError

from kempen.templates.scan import Construct, Unprotectable, find_constructs, head_end, html_regions, mask

__all__ = ["Protected", "Unprotectable", "escape_literal", "protect", "restore"]

_SELECTOR_ATTRS = frozenset({"class", "id"})
_WHITESPACE_CONTROL = re.compile(r"(?<=^\{[{%])-|(?<=^\{%)\+|-(?=[}%]\}$)|\+(?=%\}$)")
_DOCUMENT_TAG = re.compile(r"<(?:html|head|body)\b", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")


@dataclass
class Protected:
    """HTML with tokens in place of Jinja, and what each token stands for."""

    html: str
    nonce: str
    originals: list[str] = field(default_factory=list)
    # Statement token index -> how it changes the block depth (+1 opens, -1 closes).
    statements: dict[int, int] = field(default_factory=dict)
    # Leading/trailing statements (``{% set %}`` before the doctype) kept outside the HTML tool's reach.
    prefix: str = ""
    suffix: str = ""

    def token(self, index: int) -> str:
        return f"kj{self.nonce}{index}x"

    def add(self, original: str, *, statement: bool, nesting: int = 0) -> str:
        """Register a construct; return its bare token."""
        self.originals.append(original)
        if statement:
            self.statements[len(self.originals) - 1] = nesting
        return self.token(len(self.originals) - 1)

    def layout(self, html: str) -> tuple[list[int], dict[int, int]]:
        """The statements in this HTML in order, and for each expression how many statements precede it."""
        statements: list[int] = []
        expressions: dict[int, int] = {}
        for match in self.pattern().finditer(html):
            index = int(match.group(1) or match.group(2))
            if index in self.statements:
                statements.append(index)
            else:
                expressions[index] = len(statements)
        return statements, expressions

    def pattern(self) -> re.Pattern[str]:
        """Match a token, alone or as a statement comment (group 1 or 2 is its index)."""
        return re.compile(rf"<!--kj{self.nonce}(\d+)x-->|kj{self.nonce}(\d+)x")


def _treatment(where: str, kind: str, has_stylesheet: bool) -> str:
    """How a construct is hidden where it stands: "comment" or "bare", or refuse."""
    if where == "text":
        return "comment" if kind == "stmt" else "bare"
    if where == "comment" or where in ("raw:script", "raw:title", "raw:textarea"):
        return "bare"
    if where == "attr:style" and kind == "stmt":
        raise Unprotectable("a {% %} tag inside a style attribute")
    if where.startswith("attr:") and where[5:] in _SELECTOR_ATTRS and has_stylesheet:
        raise Unprotectable(f"Jinja inside a {where[5:]} attribute that the stylesheet's selectors may match")
    if where.startswith("attr:"):
        return "bare"
    raise Unprotectable({"raw:style": "Jinja inside a <style> block", "decl": "Jinja inside a declaration"}
                        .get(where, "Jinja inside a tag name, attribute name or unquoted attribute value"))


def _check_styles_outside_blocks(constructs: list[Construct], regions: list[tuple[int, str]]) -> None:
    ends, depths, depth = [0], [0], 0
    for c in constructs:
        depth += c.nesting
        ends.append(c.end)
        depths.append(depth)
    for start, where in regions:
        if where == "raw:style" and depths[bisect.bisect_right(ends, start) - 1] > 0:
            raise Unprotectable("a <style> block inside a {% %} block")


def protect(source: str, env: Environment) -> Protected:
    """Replace the template's Jinja with tokens; raise Unprotectable when that is not safe."""
    constructs = find_constructs(source, env)
    masked = mask(source, constructs)
    regions = html_regions(masked)
    _check_styles_outside_blocks(constructs, regions)
    starts = [start for start, _ in regions]
    has_stylesheet = "<style" in masked.lower()
    nonce = secrets.token_hex(4)
    while f"kj{nonce}" in source:
        nonce = secrets.token_hex(4)
    protected = Protected(html="", nonce=nonce)
    pieces, last, strip_next = [], 0, False
    for c in constructs:
        # Whitespace control ({%- … -%}) is applied here, to the source, as Jinja would: put back
        # into other markup (the HTML tool's, the text part's) it would eat the wrong whitespace.
        literal = source[last:c.start].lstrip() if strip_next else source[last:c.start]
        pieces.append(literal.rstrip() if source[c.start + 2] == "-" else literal)
        strip_next, last = source[c.end - 3] == "-", c.end
        if c.kind == "comment":
            continue
        where = regions[bisect.bisect_right(starts, c.start) - 1][1]
        token = protected.add(_WHITESPACE_CONTROL.sub("", source[c.start:c.end]), statement=c.kind == "stmt",
                              nesting=c.nesting)
        pieces.append(f"<!--{token}-->" if _treatment(where, c.kind, has_stylesheet) == "comment" else token)
    pieces.append(source[last:].lstrip() if strip_next else source[last:])
    protected.html = "".join(pieces)
    _hoist(protected, env)
    if not _DOCUMENT_TAG.search(masked):
        protected.html = _open_body(protected.html)
    return protected


def _open_body(fragment: str) -> str:
    """Start the body of a fragment where a parser would, so a leading ``{% %}`` tag stays in it."""
    i = head_end(fragment)
    return fragment[:i] + "<body>" + fragment[i:]


def _hoist(protected: Protected, env: Environment) -> None:
    """Move self-contained statements before the first tag and after the last out of the HTML.

    An HTML parser drops comments outside the document element, so such ``{% set %}`` lines would be
    lost. Only a run Jinja can parse on its own moves (assignments, blocks with no content): an
    opening ``{% if %}`` must stay where it is, or the markup it governs would change.
    """
    html, nonce = protected.html, protected.nonce
    head = re.compile(rf"\s*<!--kj{nonce}(\d+)x-->")
    leading: list[tuple[int, int]] = []
    while (match := head.match(html, leading[-1][0] if leading else 0)) is not None:
        leading.append((match.end(), int(match.group(1))))
    tail = re.compile(rf"<!--kj{nonce}(\d+)x-->\s*\Z")
    trailing: list[tuple[int, int]] = []
    floor = leading[-1][0] if leading else 0
    while match := tail.search(html, floor, trailing[-1][0] if trailing else len(html)):
        trailing.append((match.start(), int(match.group(1))))
    start, protected.prefix = _longest_parsable(protected, env, leading, 0, from_start=True)
    end, protected.suffix = _longest_parsable(protected, env, trailing, len(html), from_start=False)
    protected.html = html[start:max(start, end)]


def _longest_parsable(protected: Protected, env: Environment, run: list[tuple[int, int]], edge: int, *,
                      from_start: bool) -> tuple[int, str]:
    """The longest part of a run of statements next to the edge that parses alone: (new edge, its source)."""
    for n in range(len(run), 0, -1):
        indexes = [index for _, index in run[:n]]
        source = "".join(protected.originals[i] for i in (indexes if from_start else reversed(indexes)))
        try:
            env.parse(source)
        except TemplateSyntaxError:
            continue
        return run[n - 1][0], source
    return edge, ""


def escape_literal(text: str) -> str:
    """Literal text for a Jinja source: a ``{`` never starts a tag."""
    return text.replace("{", '{{ "{" }}') if "{" in text else text


def restore(protected: Protected, given: str, html: str) -> str:
    """Turn the tool's output (`html`, from `given`) back into Jinja; raise Unprotectable if it moved things."""
    statements, expressions = protected.layout(given)
    pieces = [protected.prefix]
    last = 0
    seen_statements: list[int] = []
    seen_expressions: set[int] = set()
    for match in protected.pattern().finditer(html):
        index = int(match.group(1) or match.group(2))
        if index in protected.statements:
            seen_statements.append(index)
        elif expressions.get(index) == len(seen_statements):
            seen_expressions.add(index)
        else:
            raise Unprotectable("a {{ }} expression moved across a {% %} tag")
        pieces += [escape_literal(html[last:match.start()]), protected.originals[index]]
        last = match.end()
    pieces += [escape_literal(html[last:]), protected.suffix]
    if seen_statements != statements:
        raise Unprotectable("a {% %} tag was lost, repeated or moved")
    if len(seen_expressions) != len(expressions):
        raise Unprotectable("a {{ }} expression was lost")
    if _tags_in_blocks(protected, given) != _tags_in_blocks(protected, html):
        # e.g. {% if %}<p class="a">{% else %}<p>{% endif %}: the parser closes the first <p> inside
        # the else branch, which would then print a stray </p>.
        raise Unprotectable("the HTML parser added, moved or dropped a tag inside a {% %} block")
    return "".join(pieces)


def _tags_in_blocks(protected: Protected, html: str) -> list[list[str]]:
    """The tags (``p``, ``/p``, …) between each pair of statements that stand inside a Jinja block."""
    found: list[list[str]] = []
    last, depth = 0, 0
    for match in protected.pattern().finditer(html):
        index = int(match.group(1) or match.group(2))
        if index not in protected.statements:
            continue
        if depth:
            found.append([f"{m.group(1)}{m.group(2).lower()}" for m in _TAG.finditer(html, last, match.start())])
        depth += protected.statements[index]
        last = match.end()
    return found
