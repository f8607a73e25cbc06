"""Email templates compiled once per variant, then rendered per contact by Jinja alone.

Compiling checks every part, adds the unsubscribe footer when the HTML has no link to
``unsubscribe_url`` (with the workspace's postal address), places the preheader (a Jinja expression,
so it is personalised too), inlines the CSS once with premailer on the template itself (its Jinja
hidden behind tokens, `kempen.templates.protect`) and derives the plain-text template once
(`kempen.templates.plaintext`). A render is then only the compiled Jinja templates: no HTML parsing,
no CSS. When a template's Jinja cannot be hidden safely (inside ``<style>``, a tag name, …), that
template is inlined per render instead, as before, and `CompiledEmail.fast` is False.

`render_email` (previews) goes through the same compiled templates, so a preview shows what is sent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.environment import Template
from markupsafe import escape

from kempen.templates.links import (
    HONEYPOT_HTML,
    OPEN_VARIABLE,
    PIXEL_HTML,
    TRACKER_VARIABLE,
    TRAP_VARIABLE,
    Tracking,
    rewrite_links,
    rewrite_rendered,
    tracking_markup,
)
from kempen.templates.message import (
    PREHEADER_HTML,
    PREHEADER_VARIABLE,
    EmailTemplate,
    RenderedEmail,
    footer_html,
    footer_text,
    inject_preheader,
    inline_css,
    insert_after_body_open,
    insert_before_body_close,
    one_line,
    parts,
)
from kempen.templates.plaintext import html_to_text, link_text, text_template
from kempen.templates.protect import Protected, Unprotectable, protect, restore
from kempen.templates.sandbox import (
    HTML_ENV,
    TEXT_ENV,
    RenderProblem,
    TemplateProblem,
    check_template,
    render_template,
)

UNSUBSCRIBE_VARIABLE = "unsubscribe_url"
# SMTP allows 998 bytes a line; a part with a longer line must go quoted-printable, which costs the
# sender more CPU than rendering it. Inlined HTML comes out on few, long lines.
MAX_HTML_LINE = 800
_TAG_BEFORE_ATTRIBUTES = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)[ \t]+(?=[a-zA-Z_:@])")
logger = logging.getLogger("kempen.templates")


@dataclass(frozen=True, slots=True, eq=False)
class CompiledEmail:
    """A variant's email, ready to render per contact (thread-safe; keep one per variant)."""

    # True when CSS was inlined at compile time; False: inlined per render (see `slow_reason`).
    fast: bool
    slow_reason: str | None
    # The Jinja source of the HTML part as rendered (CSS inlined when fast), and of the text part
    # (written, or derived from the HTML when fast; None when derived from each rendered HTML).
    html_source: str
    text_source: str | None
    text_written: bool
    subject_template: Template
    preheader_template: Template | None
    html_template: Template
    text_template: Template | None
    # The HTML as written: a failed render is reported against its line numbers.
    written_html: Template
    # Opens and clicks tracked (the context then needs `_kempen_tracker`, `_kempen_open`, `_kempen_trap`).
    tracking: Tracking | None = None

    def render(self, context: dict[str, Any]) -> RenderedEmail:
        """Render every part for one contact; raise RenderProblem."""
        subject = one_line(render_template(self.subject_template, context, field="subject"))
        preheader = ""
        if self.preheader_template is not None:
            preheader = one_line(render_template(self.preheader_template, context, field="preheader"))
        if not self.fast:
            return self._render_slowly(context, subject, preheader)
        assert self.text_template is not None
        html = self._render_html(self.html_template, {**context, PREHEADER_VARIABLE: preheader})
        if self.text_written:
            text = render_template(self.text_template, context, field="text")
        else:
            text = self._render_html(self.text_template, context).strip()
        return RenderedEmail(subject=subject, preheader=preheader, html=html, text=text)

    def _render_html(self, template: Template, context: dict[str, Any]) -> str:
        """Render the HTML part or the text derived from it."""
        try:
            return render_template(template, context, field="html")
        except RenderProblem:
            # The compiled source has other line numbers: report the line of the template as written.
            render_template(self.written_html, context, field="html")
            raise

    def _render_slowly(self, context: dict[str, Any], subject: str, preheader: str) -> RenderedEmail:
        body = render_template(self.html_template, context, field="html")
        if self.text_template is not None:
            text = render_template(self.text_template, context, field="text")
        else:
            text = html_to_text(body)
        html = inline_css(inject_preheader(body, preheader))
        if self.tracking is not None:
            html = _track_rendered(html, context, self.tracking)
        return RenderedEmail(subject=subject, preheader=preheader, html=html, text=text)


def _track_rendered(html: str, context: dict[str, Any], tracking: Tracking) -> str:
    """Tracking for a template compiled slowly: links rewritten and pixel added after the render."""
    own = tuple(str(context[name]) for name in (UNSUBSCRIBE_VARIABLE, "preferences_url") if context.get(name))
    extra = ""
    if tracking.clicks:
        html = rewrite_rendered(html, context[TRACKER_VARIABLE].click, own)
        extra += HONEYPOT_HTML.format(escape(context[TRAP_VARIABLE]))
    if tracking.opens:
        extra += PIXEL_HTML.format(escape(context[OPEN_VARIABLE]))
    return insert_before_body_close(html, extra)


def _uses(source: str, name: str) -> bool:
    return any(node.name == name for node in TEXT_ENV.parse(source).find_all(nodes.Name))


@dataclass(frozen=True, slots=True)
class _Parts:
    """A template's parts checked as written, and what Kempen adds to them."""

    template: EmailTemplate
    postal_address: str
    written: dict[str, Template]
    footer: bool          # the HTML has no unsubscribe link: add the footer
    text: str | None      # the written text part, with its footer
    tracking: Tracking | None


def compile_email(template: EmailTemplate, *, postal_address: str = "", inline_once: bool = True,
                  tracking: Tracking | None = None) -> CompiledEmail:
    """Check and compile every part of an email template; raise the first TemplateProblem found.

    `inline_once=False` inlines per render: the reference the compiled path is tested against.
    With `tracking`, links become click redirects and a pixel is added (`kempen.templates.links`).
    """
    written = {field: check_template(source, field=field, html=html) for field, source, html in parts(template)}
    text = template.text
    if text is not None and not _uses(text, UNSUBSCRIBE_VARIABLE):
        text += footer_text(postal_address)
    checked = _Parts(template, postal_address, written, not _uses(template.html, UNSUBSCRIBE_VARIABLE), text,
                     tracking if tracking is not None and (tracking.opens or tracking.clicks) else None)
    if not inline_once:
        return _compile_slow(checked, "inlining per render was asked for")
    try:
        return _compile_fast(checked)
    except Unprotectable as problem:
        return _compile_slow(checked, str(problem))
    except Exception as exc:
        # premailer, cssutils or lxml choked on the markup: inlining per render does what it always did.
        logger.warning("inlining a template once failed; it is inlined per render", exc_info=True)
        return _compile_slow(checked, f"inlining failed ({type(exc).__name__})")


def _compile_fast(checked: _Parts) -> CompiledEmail:
    html_source, derived = _inline_once(checked.template, footer=checked.footer,
                                        postal_address=checked.postal_address, tracking=checked.tracking)
    text_source = derived if checked.text is None else checked.text
    return CompiledEmail(
        fast=True, slow_reason=None, html_source=html_source, text_source=text_source,
        text_written=checked.text is not None, subject_template=checked.written["subject"],
        preheader_template=_preheader(checked), html_template=_compile_generated(html_source, html=True),
        text_template=_compile_generated(text_source, html=False), written_html=checked.written["html"],
        tracking=checked.tracking)


def _compile_slow(checked: _Parts, reason: str) -> CompiledEmail:
    html_source = checked.template.html
    if checked.footer:
        html_source = insert_before_body_close(
            html_source, footer_html(f"{{{{ {UNSUBSCRIBE_VARIABLE} }}}}", checked.postal_address))
    return CompiledEmail(
        fast=False, slow_reason=reason, html_source=html_source, text_source=checked.text,
        text_written=checked.text is not None, subject_template=checked.written["subject"],
        preheader_template=_preheader(checked), html_template=check_template(html_source, field="html", html=True),
        text_template=None if checked.text is None else check_template(checked.text, field="text"),
        written_html=checked.written["html"], tracking=checked.tracking)


def _preheader(checked: _Parts) -> Template | None:
    return checked.written["preheader"] if checked.template.preheader.strip() else None


def _inline_once(template: EmailTemplate, *, footer: bool, postal_address: str,
                 tracking: Tracking | None) -> tuple[str, str]:
    """The HTML source with its CSS inlined, and the text source derived from it."""
    protected = protect(template.html, HTML_ENV)
    body = protected.html
    if footer:
        link = protected.add(f"{{{{ {UNSUBSCRIBE_VARIABLE} }}}}", statement=False)
        body = insert_before_body_close(body, footer_html(link, postal_address))
    text_source = text_template(protected, body)
    # The text part keeps the links as written: tracking them too cost ~5 us per email (docs/tracking.md).
    given = body if tracking is None else _add_tracking(protected, body, tracking)
    if template.preheader.strip():
        opening = protected.add(f"{{% if {PREHEADER_VARIABLE} %}}", statement=True, nesting=1)
        value = protected.add(f"{{{{ {PREHEADER_VARIABLE} }}}}", statement=False)
        closing = protected.add("{% endif %}", statement=True, nesting=-1)
        given = insert_after_body_open(given, f"<!--{opening}-->{PREHEADER_HTML.format(value)}<!--{closing}-->")
    return restore(protected, given, short_lines(inline_css(given))), text_source


def _add_tracking(protected: Protected, body: str, tracking: Tracking) -> str:
    """Links rewritten, pixel and honeypot added (after the text part is derived from the body)."""
    if tracking.clicks:
        body = rewrite_links(protected, body)[0]
    return insert_before_body_close(body, tracking_markup(protected, tracking))


def short_lines(html: str) -> str:
    """Break long lines inside tags, before their attributes, where a line break changes nothing shown."""
    if all(len(line) <= MAX_HTML_LINE for line in html.splitlines()):
        return html
    return _TAG_BEFORE_ATTRIBUTES.sub(lambda match: f"<{match.group(1)}\n", html)


def _compile_generated(source: str, *, html: bool) -> Template:
    try:
        return check_template(source, field="html" if html else "text", html=html,
                              variables=None if html else {"_kempen_link": link_text})
    except TemplateProblem as problem:  # our rebuilt source did not compile: inline per render instead
        raise Unprotectable(f"the inlined template did not compile ({problem.message})") from None
