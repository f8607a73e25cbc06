"""An email template's parts and the fixed pieces Kempen adds to every email: preheader and footer."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from markupsafe import escape
from premailer import Premailer

from kempen.templates.protect import escape_literal
from kempen.templates.scan import head_end

# Hidden in the body but shown by mail clients next to the subject in the inbox.
PREHEADER_HTML = ('<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;'
                  'overflow:hidden;mso-hide:all">{}</div>')
# The variable the compiled HTML reads the rendered preheader from.
PREHEADER_VARIABLE = "_kempen_preheader"
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)
_FOOTER_HTML = (
    '<div style="margin:32px auto 0;padding:16px 24px;max-width:600px;font-family:Arial,Helvetica,sans-serif;'
    'font-size:12px;line-height:18px;color:#6b7280;text-align:center">'
    '<a href="{link}" style="color:#6b7280;text-decoration:underline">Unsubscribe</a>{address}</div>')


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


def parts(template: EmailTemplate) -> list[tuple[str, str, bool]]:
    """Each part's field name, Jinja source and whether it is HTML."""
    found = [("subject", template.subject, False), ("preheader", template.preheader, False),
             ("html", template.html, True)]
    if template.text is not None:
        found.append(("text", template.text, False))
    return found


def one_line(text: str) -> str:
    # A subject is a mail header: a contact's value must never add a line to it.
    return " ".join(text.split())


def inline_css(html: str) -> str:
    """Move <style> rules into style attributes; never fetch anything over the network.

    No pretty-printing: the line breaks it adds between elements are visible gaps between inline
    elements (images side by side) in some mail clients.
    """
    return str(Premailer(html, allow_network=False, allow_loading_external_files=False,
                         disable_validation=True, cssutils_logging_level=logging.CRITICAL
                         ).transform(pretty_print=False))


def inject_preheader(html: str, preheader: str) -> str:
    """Put the (already rendered, escaped here) preheader first in the body."""
    if not preheader:
        return html
    return insert_after_body_open(html, PREHEADER_HTML.format(escape(preheader)))


def insert_after_body_open(html: str, block: str) -> str:
    """Put a block first in the body (of a fragment: after the <style> and such a parser keeps in <head>)."""
    match = _BODY_OPEN.search(html)
    at = head_end(html) if match is None else match.end()
    return html[:at] + block + html[at:]


def insert_before_body_close(html: str, block: str) -> str:
    matches = list(_BODY_CLOSE.finditer(html))
    if not matches:
        return html + block
    return html[:matches[-1].start()] + block + html[matches[-1].start():]


def footer_html(link: str, postal_address: str) -> str:
    """The unsubscribe footer's markup; `link` is Jinja (or a token standing for it), the address literal."""
    # An entity, not a brace: the markup is Jinja source, and the address must never be read as a tag.
    lines = [str(escape(line.strip())).replace("{", "&#123;") for line in postal_address.strip().splitlines() if line.strip()]
    address = "".join(f"<br>{line}" for line in lines)
    return _FOOTER_HTML.format(link=link, address=address)


def footer_text(postal_address: str) -> str:
    """The unsubscribe footer of a text part written by hand (Jinja source)."""
    lines = [escape_literal(line.strip()) for line in postal_address.strip().splitlines() if line.strip()]
    return "\n\n" + "\n".join(["Unsubscribe: {{ unsubscribe_url }}", *lines])
