"""Email templates: subject, preheader, HTML (CSS inlined) and a plain-text part derived from the HTML.

The parts and the added pieces live in `kempen.templates.message`, compilation in
`kempen.templates.compiled`; this module is what callers import.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from kempen.templates.compiled import CompiledEmail, compile_email
from kempen.templates.message import EmailTemplate, RenderedEmail, inline_css, parts
from kempen.templates.plaintext import html_to_text
from kempen.templates.sandbox import TemplateProblem, check_template

__all__ = ["EmailTemplate", "RenderedEmail", "check_email_template", "compiled_email", "html_to_text",
           "inline_css", "render_email"]


def check_email_template(template: EmailTemplate) -> list[TemplateProblem]:
    """Compile every part; return the problems found, each with its part and line."""
    problems = []
    for field, source, html in parts(template):
        try:
            check_template(source, field=field, html=html)
        except TemplateProblem as problem:
            problems.append(problem)
    return problems


@lru_cache(maxsize=64)
def compiled_email(template: EmailTemplate, postal_address: str = "") -> CompiledEmail:
    """The compiled template, cached: previews of the same content compile it once."""
    return compile_email(template, postal_address=postal_address)


def render_email(template: EmailTemplate, context: dict[str, Any], *, postal_address: str = "") -> RenderedEmail:
    """Render every part for one context exactly as it is sent; raise TemplateProblem or RenderProblem."""
    return compiled_email(template, postal_address).render(context)
