"""The plain-text part of an email, derived from its HTML: from rendered HTML, or once from a template.

`html_to_text` walks lxml's tree of a rendered email: links as "text (url)", list items as "- item",
blocks as paragraphs, scripts, styles and comments dropped, whitespace collapsed.

`text_template` does the same walk over a template whose Jinja was replaced by tokens
(`kempen.templates.protect`), keeping every token where it stands, and turns the result back into a
Jinja source: the derived text template renders per contact with no HTML parsing. ``{% %}`` tags
inside attributes and comments are kept too (they may assign or open a block that the text needs);
a link whose label or URL is personalised is decided at render time by ``_kempen_link``.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
import lxml.html

from kempen.templates.protect import Protected, Unprotectable, escape_literal

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "blockquote",
           "section", "article", "header", "footer", "hr", "pre"}
_SKIPPED = ("script", "style", "head", "title")
_WHITESPACE = re.compile(r"\s+")


def _flat(text: str | None) -> str:
    # Source line breaks are spaces in HTML; only tags make lines in the text part.
    return _WHITESPACE.sub(" ", text) if text else ""


def link_text(label: str, href: str) -> str:
    """A link in plain text: "label (url)", or just one of them when the other adds nothing."""
    label = " ".join(label.split())
    href = href.strip()
    return f"{label} ({href})" if href and label and label != href else (href or label)


class _Walker:
    """Collect the text of a tree; with `protected`, keep its tokens (see the module docstring)."""

    def __init__(self, protected: Protected | None) -> None:
        self.protected = protected
        self.out: list[str] = []
        self.tokens = protected.pattern() if protected else None

    def statements_in(self, text: str | None) -> str:
        """The statement tokens in a piece of markup the text part does not show."""
        if not text or self.protected is None or self.tokens is None:
            return ""
        return "".join(self.protected.token(i) for i in self._indexes(text) if i in self.protected.statements)

    def _indexes(self, text: str) -> list[int]:
        assert self.tokens is not None
        return [int(m.group(1) or m.group(2)) for m in self.tokens.finditer(text)]

    def walk(self, element: Any) -> None:
        out = self.out
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag:  # a comment or processing instruction: only its statements count
            out += [self._comment(element), _flat(element.tail)]
            return
        if tag in _SKIPPED:
            if self.protected is not None:
                out.append(self.statements_in(lxml.etree.tostring(element, encoding="unicode", with_tail=False)))
            out.append(_flat(element.tail))
            return
        out.append(self.statements_in(" ".join(v for k, v in element.attrib.items() if tag != "a" or k != "href")))
        if tag == "br":
            out.append("\n")
        elif tag in _BLOCKS or tag == "li":
            out.append("\n\n" if tag in _BLOCKS else "\n- ")
        if tag == "a":
            out.append(self._link(element))
        else:
            out.append(_flat(element.text))
            for child in element:
                self.walk(child)
            if tag in _BLOCKS:
                out.append("\n\n")
        out.append(_flat(element.tail))

    def _comment(self, element: Any) -> str:
        text = element.text or ""
        if self.protected is not None and isinstance(element, lxml.etree._Comment):
            whole = self.tokens.fullmatch(f"<!--{text}-->") if self.tokens else None
            return self.protected.token(int(whole.group(1))) if whole else self.statements_in(text)
        return ""

    def _label(self, element: Any) -> str:
        """A link's label: its text, like text_content(), plus any tokens of statements inside it."""
        pieces = [_flat(element.text)]
        for child in element:
            if isinstance(child.tag, str):
                pieces += [self.statements_in(" ".join(child.attrib.values())), self._label(child)]
            else:
                pieces.append(self._comment(child))
            pieces.append(_flat(child.tail))
        return "".join(pieces)

    def _link(self, element: Any) -> str:
        label, href = self._label(element), element.get("href") or ""
        if self.protected is None or not (self.tokens and self.tokens.search(label + href)):
            return link_text(label, href)
        add = self.protected.add
        return "".join([add("{% set _kempen_label %}", statement=True, nesting=1), label,
                        add("{% endset %}", statement=True, nesting=-1),
                        add("{% set _kempen_href %}", statement=True, nesting=1), href,
                        add("{% endset %}", statement=True, nesting=-1),
                        add("{{ _kempen_link(_kempen_label, _kempen_href) }}", statement=False)])


def _collapse(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _parse(html: str) -> Any:
    try:
        return lxml.html.document_fromstring(html)
    except lxml.etree.ParserError:  # nothing but comments or whitespace
        return lxml.html.fromstring("<p></p>")


def html_to_text(html: str) -> str:
    """Derive a plain-text part: links as "text (url)", tags stripped, whitespace collapsed."""
    walker = _Walker(None)
    walker.walk(_parse(html))
    return _collapse("".join(walker.out))


def text_template(protected: Protected, html: str) -> str:
    """Derive the Jinja source of the plain-text part from protected HTML."""
    known = len(protected.originals)
    walker = _Walker(protected)
    walker.walk(_parse(html))
    text = _collapse("".join(walker.out))
    kept, _ = protected.layout(text)
    if [i for i in kept if i < known] != protected.layout(html)[0]:
        raise Unprotectable("a {% %} tag could not be placed in the text part")
    return protected.prefix + _to_jinja(protected, _tidy_statements(protected, text)) + protected.suffix


def _split(protected: Protected, text: str) -> list[tuple[str, str]]:
    """Text as alternating pieces: ("lit", text) and ("stmt" or "expr", token)."""
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in protected.pattern().finditer(text):
        index = int(match.group(1) or match.group(2))
        pieces += [("lit", text[last:match.start()]), ("stmt" if index in protected.statements else "expr", match.group())]
        last = match.end()
    pieces.append(("lit", text[last:]))
    return pieces


def _tidy_statements(protected: Protected, text: str) -> str:
    """Lay out whitespace around ``{% %}`` tags so that rendered lines and paragraphs come out as written.

    A tag alone on its line loses the line breaks before it that the break after it repeats (a block
    separator is written once, inside the loop or condition); a tag at the end or start of a line
    loses the spaces between it and the line's edge.
    """
    pieces = _split(protected, text)
    for i, (kind, _) in enumerate(pieces):
        if kind != "stmt":
            continue
        before, after = pieces[i - 1][1], pieces[i + 1][1]
        head, tail = before.rstrip(" \n"), after.lstrip(" \n")
        gap_before, gap_after = before[len(head):], after[:len(after) - len(tail)]
        breaks_before, breaks_after = gap_before.count("\n"), gap_after.count("\n")
        if breaks_after or (i == len(pieces) - 2 and not tail):
            gap_before = "\n" * max(0, breaks_before - breaks_after)
        if breaks_before or (i == 1 and not head):
            gap_after = "\n" * breaks_after
        pieces[i - 1] = ("lit", head + gap_before)
        pieces[i + 1] = ("lit", gap_after + tail)
    return "".join(piece for _, piece in pieces)


def _to_jinja(protected: Protected, text: str) -> str:
    pieces, last = [], 0
    for match in protected.pattern().finditer(text):
        pieces += [escape_literal(text[last:match.start()]), protected.originals[int(match.group(1) or match.group(2))]]
        last = match.end()
    pieces.append(escape_literal(text[last:]))
    return "".join(pieces)
