"""A sample email in the brand's look, for the brand kit page: header, a paragraph, a button and the footer.

The sample is itself a sandboxed template that reads the `brand` variable, the way a message template
would (docs/brand.md shows the same markup as an example). Its footer is the kit's HTML footer, or
Kempen's neutral one when the kit has none.
"""

from __future__ import annotations

from typing import Any

from kempen.templates.message import footer_html as neutral_footer
from kempen.templates.sandbox import RenderProblem, TemplateProblem, check_template, render_template

SAMPLE_HEADER = """<!doctype html><html><body style="margin:0;background:{{ brand.colours.background }}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"
  style="font-family:{{ brand.font_family }};color:{{ brand.colours.text }};background:{{ brand.colours.background }}">
<tr><td style="background:{{ brand.colours.primary }};padding:16px 24px">
  {% if brand.logo_url %}<img src="{{ brand.logo_url }}" alt="{{ brand.name }}" width="{{ brand.logo_width }}"
    height="{{ brand.logo_height }}" style="max-width:200px;height:auto;display:block">
  {% else %}<span style="color:#ffffff;font-size:20px;font-weight:bold">{{ brand.name }}</span>{% endif %}
</td></tr>
<tr><td style="padding:24px">
  <p>Hi {{ first_name | default('there') }},</p>
  <p>This is how your messages look with the brand kit.</p>
  <p><a href="#" style="background:{{ brand.colours.accent }};color:#ffffff;padding:10px 18px;
    text-decoration:none;border-radius:4px;display:inline-block">Shop now</a></p>
</td></tr>
<tr><td style="background:{{ brand.colours.secondary }};padding:16px 24px;font-size:12px">
"""
SAMPLE_CLOSE = "\n</td></tr></table></body></html>"


def sample_email(variables: dict[str, Any], footer_html: str) -> tuple[str, str]:
    """The sample's HTML and a problem ("" when none); a footer that does not render is reported, not raised."""
    footer = footer_html.strip() or neutral_footer("{{ unsubscribe_url }}", variables.get("postal_address", ""))
    context = {"brand": variables, "first_name": "Alex", "unsubscribe_url": "#", "preferences_url": "#"}
    try:
        check_template(footer, field="footer_html", html=True)
        template = check_template(SAMPLE_HEADER + footer + SAMPLE_CLOSE, field="footer_html", html=True)
        return render_template(template, context, field="footer_html"), ""
    except (TemplateProblem, RenderProblem) as problem:
        fallback = check_template(SAMPLE_HEADER + SAMPLE_CLOSE, html=True)
        return render_template(fallback, context), str(problem)
