"""Tracked links: every `<a href>` of an email rewritten to a click redirect, plus the open pixel.

Rewriting happens once per variant, on the template with its Jinja hidden (`protect`): a static
href becomes ``{{ 3|kempen_link }}`` (the redirect finds the URL by position in the variant,
`link_table`), an href with Jinja in it is captured per contact, ``{% filter kempen_link(3) %}…{%
endfilter %}``, and its rendered URL travels in the signed token. The render context supplies
`_kempen_tracker` (`kempen.tracking.links.EmailTracker`) and `_kempen_open` (the pixel's URL).

Not rewritten: links marked ``data-kempen-notrack``, the unsubscribe and preference links,
``mailto:``/``tel:``/``sms:``/``#anchor`` and anything else that is not http(s). Templates that
cannot be protected are rewritten after each render instead (`rewrite_rendered`, every URL in the
token). A hidden honeypot link (`_kempen_trap`) catches scanners that follow every href.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass

from kempen.templates.protect import Protected, Unprotectable, protect
from kempen.templates.sandbox import HTML_ENV, LINK_FILTER, TRACKER_VARIABLE

OPEN_VARIABLE = "_kempen_open"
TRAP_VARIABLE = "_kempen_trap"
__all__ = ["OPEN_VARIABLE", "TRACKER_VARIABLE", "TRAP_VARIABLE", "Tracking", "link_table", "rewrite_links",
           "rewrite_rendered", "tracking_markup"]
# Variables whose links lead to Kempen's own pages; never wrapped in a redirect.
_OWN_LINKS = re.compile(r"\b(?:unsubscribe_url|preferences_url)\b")
_A_TAG = re.compile(
    r"""<a(?=[\s>/])((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*/?>""", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_UNTRACKED_SCHEMES = ("mailto:", "tel:", "sms:", "#")
PIXEL_HTML = ('<img src="{}" width="1" height="1" alt="" border="0" '
              'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">')
HONEYPOT_HTML = ('<a href="{}" aria-hidden="true" tabindex="-1" '
                 'style="display:none;font-size:0;line-height:0;max-height:0;overflow:hidden;mso-hide:all"></a>')


@dataclass(frozen=True, slots=True)
class Tracking:
    """What to track in a compiled email (from the workspace's settings)."""

    opens: bool = True
    clicks: bool = True


@dataclass(frozen=True, slots=True)
class _Href:
    start: int          # where the value (quotes included) starts and ends in the tag
    end: int
    value: str          # without quotes, as written (entities not decoded)


def _href(tag_text: str) -> _Href | None:
    """The href attribute of an `<a>` tag's attribute text; None when absent or marked not to track."""
    found: _Href | None = None
    for match in _ATTRIBUTE.finditer(tag_text):
        name = match.group(1).lower()
        if name == "data-kempen-notrack":
            return None
        if name == "href" and match.group(2) is not None and found is None:
            raw = match.group(2)
            value = raw[1:-1] if raw[0] in "\"'" else raw
            found = _Href(match.start(2), match.end(2), value)
    return found


def _trackable(literal_start: str, *, dynamic: bool) -> bool:
    """Whether a URL starting with this (decoded) text should become a redirect."""
    start = literal_start.strip().lower()
    if start.startswith(_UNTRACKED_SCHEMES):
        return False
    if start.startswith(("http://", "https://")):
        return True
    # An href that starts with Jinja is checked when clicked (only http(s) is ever redirected to).
    return dynamic and not start


def rewrite_links(protected: Protected, markup: str) -> tuple[str, list[str | None]]:
    """Rewrite the trackable links of protected HTML; return it and the link table (None: per contact)."""
    table: list[str | None] = []
    tokens = protected.pattern()

    def rewrite(match: re.Match[str]) -> str:
        attrs = match.group(1)
        href = _href(attrs)
        if href is None:
            return match.group(0)
        first = tokens.search(href.value)
        if first is not None:
            used = [protected.originals[int(m.group(1) or m.group(2))] for m in tokens.finditer(href.value)]
            if any(_OWN_LINKS.search(original) for original in used):
                return match.group(0)
        if not _trackable(htmllib.unescape(href.value[:first.start()] if first else href.value),
                          dynamic=first is not None):
            return match.group(0)
        index = len(table)
        if first is None:
            table.append(htmllib.unescape(href.value).strip())
            value = protected.add(f"{{{{ {index}|{LINK_FILTER} }}}}", statement=False)
        else:
            table.append(None)
            value = "".join([protected.add(f"{{% filter {LINK_FILTER}({index}) %}}", statement=True, nesting=1),
                             href.value, protected.add("{% endfilter %}", statement=True, nesting=-1)])
        at = match.start(1)
        whole = match.group(0)
        return f'{whole[:at - match.start() + href.start]}"{value}"{whole[at - match.start() + href.end:]}'

    return _A_TAG.sub(rewrite, markup), table


def tracking_markup(protected: Protected, tracking: Tracking) -> str:
    """The pixel and honeypot to put last in the body (tokens standing for their Jinja)."""
    pieces = []
    if tracking.clicks:
        pieces.append(HONEYPOT_HTML.format(protected.add(f"{{{{ {TRAP_VARIABLE} }}}}", statement=False)))
    if tracking.opens:
        pieces.append(PIXEL_HTML.format(protected.add(f"{{{{ {OPEN_VARIABLE} }}}}", statement=False)))
    return "".join(pieces)


def link_table(html: str) -> list[str | None]:
    """The static URL of each tracked link of a variant's HTML, by position, as `rewrite_links` numbers them.

    A template that cannot be protected is rewritten per render, with every URL in its tokens: [].
    """
    try:
        protected = protect(html, HTML_ENV)
    except Unprotectable:
        return []
    return rewrite_links(protected, protected.html)[1]


def rewrite_rendered(markup: str, click: Callable[[int, str], str], own_links: tuple[str, ...]) -> str:
    """Rewrite the links of a rendered email (templates compiled slowly); every URL goes in its token."""
    counter = iter(range(1_000_000))

    def rewrite(match: re.Match[str]) -> str:
        href = _href(match.group(1))
        if href is None:
            return match.group(0)
        url = htmllib.unescape(href.value).strip()
        if not _trackable(url, dynamic=False) or url.startswith(own_links):
            return match.group(0)
        at = match.start(1) - match.start()
        whole = match.group(0)
        target = htmllib.escape(str(click(next(counter), url)))
        return f'{whole[:at + href.start]}"{target}"{whole[at + href.end:]}'

    return _A_TAG.sub(rewrite, markup)
