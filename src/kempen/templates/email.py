"""Email templates: subject, preheader, HTML (CSS inlined) and a plain-text part derived from the HTML."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import lxml.html
from markupsafe import escape
from premailer import Premailer

from kempen.templates.sandbox import TemplateProblem, check_template, render_template

# Hidden in the body but shown by mail clients next to the subject in the inbox.
_PREHEADER = ('<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;'
              'overflow:hidden;mso-hide:all">{}</div>')
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "blockquote",
           "section", "article", "header", "footer", "hr", "pre"}


@dataclass(frozen=True)
class EmailTemplate:
    subject: str
    preheader: str
    html: str
    text: str | None = None


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str
    text: str


def _parts(template: EmailTemplate) -> list[tuple[str, str, bool]]:
    parts = [("subject", template.subject, False), ("preheader", template.preheader, False),
             ("html", template.html, True)]
    if template.text is not None:
        parts.append(("text", template.text, False))
    return parts


def check_email_template(template: EmailTemplate) -> list[TemplateProblem]:
    """Compile every part; return the problems found, each with its part and line."""
    problems = []
    for field, source, html in _parts(template):
        try:
            check_template(source, field=field, html=html)
        except TemplateProblem as problem:
            problems.append(problem)
    return problems


def _one_line(text: str) -> str:
    # A subject is a mail header: a contact's value must never add a line to it.
    return " ".join(text.split())


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes; never fetch anything over the network."""
    return str(Premailer(html, allow_network=False, allow_loading_external_files=False,
                         disable_validation=True, cssutils_logging_level=logging.CRITICAL).transform())


def _inject_preheader(html: str, preheader: str) -> str:
    if not preheader:
        return html
    hidden = _PREHEADER.format(escape(preheader))
    match = _BODY_OPEN.search(html)
    if match is None:
        return hidden + html
    return html[:match.end()] + hidden + html[match.end():]


def _flat(text: str | None) -> str:
    # Source line breaks are spaces in HTML; only tags make lines in the text part.
    return re.sub(r"\s+", " ", text or "")


def _walk(element: Any, out: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in ("script", "style", "head", "title"):
        out.append(_flat(element.tail))
        return
    if tag == "br":
        out.append("\n")
    elif tag in _BLOCKS or tag == "li":
        out.append("\n\n" if tag in _BLOCKS else "\n- ")
    if tag == "a":
        label = " ".join(element.text_content().split())
        href = (element.get("href") or "").strip()
        out.append(f"{label} ({href})" if href and label and label != href else (href or label))
    else:
        out.append(_flat(element.text))
        for child in element:
            _walk(child, out)
        if tag in _BLOCKS:
            out.append("\n\n")
    out.append(_flat(element.tail))


def html_to_text(html: str) -> str:
    """Derive a plain-text part: links as "text (url)", tags stripped, whitespace collapsed."""
    if not html.strip():
        return ""
    out: list[str] = []
    _walk(lxml.html.document_fromstring(html), out)
    lines = (" ".join(line.split()) for line in "".join(out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_email(template: EmailTemplate, context: dict[str, Any]) -> RenderedEmail:
    """Render every part for one context; raise TemplateProblem or RenderProblem."""
    compiled = {field: check_template(source, field=field, html=html) for field, source, html in _parts(template)}
    rendered = {field: render_template(t, context, field=field) for field, t in compiled.items()}
    preheader = _one_line(rendered["preheader"])
    body = rendered["html"]
    text = rendered["text"] if "text" in rendered else html_to_text(body)
    return RenderedEmail(subject=_one_line(rendered["subject"]), preheader=preheader,
                         html=inline_css(_inject_preheader(body, preheader)), text=text)
