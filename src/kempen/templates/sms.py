"""SMS templates: the body is a sandboxed text template; its length is counted in SMS segments.

A message in the GSM 03.38 alphabet takes 160 septets in one SMS, or 153 per part when split (the
rest holds the concatenation header); a character of the extension table (``€ [ ] { } \\ ^ ~ |``
and form feed) takes two septets and is never split between parts. Any other character makes the
whole message UCS-2: 70 UTF-16 units in one SMS, 67 per part, a surrogate pair never split.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2.environment import Template

from kempen.templates.sandbox import TemplateProblem, check_template, render_template

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
# (units in a single message, units per part of a longer one)
_GSM7_LIMITS = (160, 153)
_UCS2_LIMITS = (70, 67)


def check_sms_template(body: str) -> list[TemplateProblem]:
    """Compile an SMS body; return its problems (with their line), if any."""
    try:
        _compiled(body)
    except TemplateProblem as problem:
        return [problem]
    return []


@lru_cache(maxsize=256)
def _compiled(body: str) -> Template:
    return check_template(body, field="body")


def render_sms(body: str, context: dict[str, Any]) -> str:
    """Render an SMS body for one contact (values are not escaped: SMS is plain text); raise TemplateProblem or RenderProblem."""
    return render_template(_compiled(body), context, field="body").strip()


def is_gsm7(text: str) -> bool:
    """Whether the text fits the GSM 03.38 alphabet (basic set and extension table)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _units(text: str) -> tuple[list[int], tuple[int, int]]:
    """Each character's size in its encoding's units, and that encoding's limits."""
    if is_gsm7(text):
        return [2 if char in GSM7_EXTENSION else 1 for char in text], _GSM7_LIMITS
    return [2 if ord(char) > 0xFFFF else 1 for char in text], _UCS2_LIMITS


def sms_segments(text: str) -> int:
    """How many SMS messages the text is sent as (0 for an empty text)."""
    sizes, (single, per_part) = _units(text)
    if sum(sizes) <= single:
        return 1 if sizes else 0
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:  # a two-unit character is never split between parts
            parts, used = parts + 1, 0
        used += size
    return parts
