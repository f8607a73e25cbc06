"""Compiled emails: the same email as inlining per render, without parsing HTML per contact."""

from __future__ import annotations

import re
import time
from typing import Any

import lxml.etree
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kempen.templates.compiled import CompiledEmail, compile_email
from kempen.templates.context import sample_context
from kempen.templates.email import EmailTemplate, compiled_email, render_email
from kempen.templates.sandbox import MAX_OUTPUT_CHARS, RenderProblem, TemplateProblem
from tests.templates.corpus import FAST, NEWSLETTER, SLOW

UNSUBSCRIBE = "https://kempen.example/u/token?x=1&y=2"
BASE: dict[str, Any] = sample_context() | {
    "unsubscribe_url": UNSUBSCRIBE, "city": "Utrecht", "url": "https://shop.example/p?id=7", "vip": True,
    "colour": "red", "tier": "gold", "level": 2}
NO_ORDER = BASE | {"vip": False, "last_order": None, "first_name": "<b>{{ 7*7 }}</b> & \"Zoë\""}
_reference_cache: dict[tuple[EmailTemplate, str], CompiledEmail] = {}


def reference(template: EmailTemplate, postal_address: str = "") -> CompiledEmail:
    """The template inlined per render, as every email was before compiling."""
    key = (template, postal_address)
    if key not in _reference_cache:
        _reference_cache[key] = compile_email(template, postal_address=postal_address, inline_once=False)
    return _reference_cache[key]


def normal_html(html: str) -> str:
    """HTML as a parser reads it, whitespace between and inside tags collapsed."""
    serialised = lxml.etree.tostring(lxml.html.document_fromstring(html or "<p></p>"), method="html",
                                     encoding="unicode")
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", " ".join(serialised.split()))


def normal_text(text: str) -> str:
    return " ".join(text.split())


def email_for(html: str) -> EmailTemplate:
    return EmailTemplate("Hi {{ first_name }}", "Pre {{ first_name }} {{ city }}", html)


def assert_same(template: EmailTemplate, context: dict[str, Any], postal_address: str = "Main St 1") -> None:
    fast = compiled_email(template, postal_address).render(context)
    slow = reference(template, postal_address).render(context)
    assert (fast.subject, fast.preheader) == (slow.subject, slow.preheader)
    assert normal_html(fast.html) == normal_html(slow.html)
    assert normal_text(fast.text) == normal_text(slow.text)


@pytest.mark.parametrize("name", sorted(FAST))
@pytest.mark.parametrize("context", [BASE, NO_ORDER], ids=["with-order", "without-order"])
def test_compiled_render_equals_inlining_per_render(name: str, context: dict[str, Any]) -> None:
    template = email_for(FAST[name])
    compiled = compiled_email(template, "Main St 1")
    assert compiled.fast, compiled.slow_reason
    assert_same(template, context)


@pytest.mark.parametrize("name", sorted(FAST))
def test_text_keeps_its_lines_and_paragraphs(name: str) -> None:
    # Values without line breaks: the derived text template lays out lines as the rendered HTML would.
    context = BASE | {"first_name": "Zoë & <Co>"}
    template = email_for(FAST[name])
    fast, slow = compiled_email(template, "").render(context), reference(template).render(context)
    assert [" ".join(line.split()) for line in fast.text.splitlines()] == [
        " ".join(line.split()) for line in slow.text.splitlines()]


@pytest.mark.parametrize("name", sorted(SLOW))
def test_templates_whose_jinja_cannot_be_hidden_are_inlined_per_render(name: str) -> None:
    html, reason = SLOW[name]
    template = email_for(html)
    compiled = compile_email(template)
    assert not compiled.fast and compiled.slow_reason and reason in compiled.slow_reason
    assert compiled.render(BASE) == reference(template).render(BASE)


# Contact values: any printable text, with pieces of Jinja, HTML, entities and line breaks mixed in.
_VALUE = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8) | st.sampled_from(
    ["{{ 7*7 }}", "{% if 1 %}", "<script>alert(1)</script>", "&amp;", "\"'", "\n", "\r\n", "  ", "é", "}}"]),
    max_size=5).map("".join)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FAST)), first_name=_VALUE, city=_VALUE, url=_VALUE,
       colour=st.sampled_from(["red", "#123456", "transparent"]), vip=st.booleans(),
       with_order=st.booleans())
def test_any_values_render_as_when_inlining_per_render(name: str, first_name: str, city: str, url: str,
                                                       colour: str, vip: bool, with_order: bool) -> None:
    context = BASE | {"first_name": first_name, "city": city, "url": url, "colour": colour, "vip": vip}
    if not with_order:
        context["last_order"] = None
    # Colours premailer would not rewrite: it writes "#ff0000" in style attributes as "#f00" (the same colour).
    assert_same(email_for(FAST[name]), context)


@settings(max_examples=60, deadline=None)
@given(value=_VALUE)
def test_values_are_never_evaluated_and_always_escaped_in_html(value: str) -> None:
    template = EmailTemplate("{{ first_name }}", "{{ first_name }}",
                             '<p class="x">{{ first_name }}</p><a href="{{ first_name }}">{{ first_name }}</a>',
                             None)
    email = compiled_email(template, "").render(BASE | {"first_name": value})
    parsed = lxml.html.document_fromstring(email.html)
    as_parsed = value.replace("\r\n", "\n").replace("\r", "\n")  # what any HTML parser makes of line breaks
    assert [p.text_content() for p in parsed.iter("p")] == [as_parsed]
    assert parsed.find(".//a").get("href") == as_parsed
    assert not parsed.findall(".//script")
    assert "\r" not in email.subject + email.preheader and "\n" not in email.subject + email.preheader
    assert email.subject == " ".join(value.split())


def test_jinja_and_html_in_values_stay_literal() -> None:
    email = render_email(email_for(FAST["fragment"]), BASE | {"first_name": "{{ 7*7 }} <script>x</script>"})
    assert "{{ 7*7 }} &lt;script&gt;x&lt;/script&gt;" in email.html and "49" not in email.html
    assert email.text.startswith("Hello {{ 7*7 }} <script>x</script>")
    assert email.subject == "Hi {{ 7*7 }} <script>x</script>"


def test_subject_and_preheader_stay_on_one_line() -> None:
    email = render_email(EmailTemplate("Hi {{ first_name }}\nBcc: a@evil", "Pre\r\n{{ first_name }}", "<p>x</p>"),
                         BASE | {"first_name": "Ada\r\nBcc: x@evil.example"})
    assert email.subject == "Hi Ada Bcc: x@evil.example Bcc: a@evil"
    assert email.preheader == "Pre Ada Bcc: x@evil.example"


@pytest.mark.parametrize("part", ["subject", "preheader", "html", "text"])
@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__ }}", "{{ self._TemplateReference__context }}", "{{ cycler.__init__.__globals__ }}",
    "{% include 'secrets.html' %}", "{{ first_name | attr('__class__') }}", "{% import 'x' as y %}",
])
def test_template_injection_is_refused_at_compile(part: str, attack: str) -> None:
    parts = {"subject": "s", "preheader": "", "html": "<p>x</p>", "text": None} | {part: "ok\n" + attack}
    with pytest.raises(TemplateProblem) as caught:
        compile_email(EmailTemplate(**parts))
    assert caught.value.field == part and caught.value.line == 2


def test_huge_loops_hit_the_time_limit_and_huge_outputs_the_size_limit() -> None:
    slow = compile_email(email_for("<p>{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                                   "{% endfor %}</p>"))
    start = time.monotonic()
    with pytest.raises(RenderProblem, match="longer than"):
        slow.render(BASE)
    assert time.monotonic() - start < 2
    big = compile_email(email_for("<p>{% for i in range(100000) %}{{ first_name }}{% endfor %}</p>"))
    # Long values reach the size limit within ~100 iterations, well before the time limit on a busy machine.
    with pytest.raises(RenderProblem, match="output larger"):
        big.render(BASE | {"first_name": "y" * 20_000})
    assert MAX_OUTPUT_CHARS < 20_000 * 100_000


def test_render_errors_name_the_line_of_the_template_as_written() -> None:
    html = FAST["document"].replace("<h1>", "<h1>\n\n\n{{ 1 / zero }}")
    compiled = compile_email(email_for(html))
    assert compiled.fast
    with pytest.raises(RenderProblem) as caught:
        compiled.render(BASE | {"zero": 0})
    line = next(n for n, text in enumerate(html.splitlines(), 1) if "zero" in text)
    assert caught.value.field == "html" and caught.value.line == line == 6


def test_footer_added_when_the_html_has_no_unsubscribe_link() -> None:
    email = render_email(email_for("<p>Hi</p>"), BASE, postal_address="Kempen B.V. <b>\n{{ 1 + 1 }} Street")
    footer = lxml.html.document_fromstring(email.html).findall(".//div")[-1]
    assert footer.find("a").get("href") == UNSUBSCRIBE and footer.find("a").text == "Unsubscribe"
    assert footer.text_content() == "UnsubscribeKempen B.V. <b>{{ 1 + 1 }} Street"
    assert email.text.endswith(f"Unsubscribe ({UNSUBSCRIBE})\nKempen B.V. <b>\n{{{{ 1 + 1 }}}} Street")
    own = render_email(email_for(FAST["own_unsubscribe_link"]), BASE, postal_address="Kempen B.V.")
    assert own.html.count(UNSUBSCRIBE.replace("&", "&amp;")) == 1 and "Kempen B.V." not in own.html


def test_a_written_text_part_gets_the_footer_unless_it_links_itself() -> None:
    written = EmailTemplate("s", "", "<p>x {{ unsubscribe_url }}</p>", text="Plain {{ first_name }}")
    assert render_email(written, BASE, postal_address="Main St 1").text == (
        f"Plain Alex\n\nUnsubscribe: {UNSUBSCRIBE}\nMain St 1")
    linked = EmailTemplate("s", "", "<p>x</p>", text="Bye: {{ unsubscribe_url }}")
    assert render_email(linked, BASE).text == f"Bye: {UNSUBSCRIBE}"


def test_preheader_is_personalised_escaped_and_first_in_the_body() -> None:
    email = render_email(EmailTemplate("s", "For {{ first_name }}", FAST["document"]),
                         BASE | {"first_name": "<Zoë>"})
    body = lxml.html.document_fromstring(email.html).find(".//body")
    assert body[0].tag == "div" and "display:none" in body[0].get("style") and body[0].text == "For <Zoë>"
    assert email.preheader == "For <Zoë>"
    assert "<div" not in render_email(EmailTemplate("s", "{{ nothing }}", "<p>x</p>"), BASE).html.split("<p")[0]


def test_previews_go_through_the_compiled_cache() -> None:
    template = email_for(NEWSLETTER)
    assert compiled_email(template, "") is compiled_email(template, "")
    assert render_email(template, BASE) == compile_email(template).render(BASE)


def test_compiled_render_is_much_faster_than_inlining_per_render() -> None:
    template = EmailTemplate("{{ first_name }}, your picks", "New teas for {{ first_name }}", NEWSLETTER)
    fast, slow = compile_email(template), reference(template)
    assert fast.fast

    def best(compiled: CompiledEmail, runs: int) -> float:
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            compiled.render(BASE)
            timings.append(time.perf_counter() - start)
        return min(timings)

    assert best(fast, 200) * 10 < best(slow, 5)


def test_inlined_html_keeps_lines_short_enough_to_send_without_quoted_printable() -> None:
    cells = "".join(f'<td class="cell"><a href="https://shop.example/p/{i}?c={{{{ id }}}}">Item {i}</a></td>'
                    for i in range(60))
    html = ("<html><head><style>.cell { padding: 4px; color: #333; }</style></head><body>"
            f"<table><tr>{cells}</tr></table><p>Hello {{{{ first_name }}}}</p></body></html>")
    assert max(map(len, html.splitlines())) > 998
    compiled = compile_email(EmailTemplate(subject="s", preheader="", html=html))
    rendered = compiled.render({**sample_context(), "unsubscribe_url": "https://x.example/u/t"})

    assert compiled.fast
    assert max(map(len, rendered.html.splitlines())) <= 998
    cells_shown = lxml.html.document_fromstring(rendered.html).xpath("//td[@class='cell']")
    assert len(cells_shown) == 60 and "padding:4px" in cells_shown[0].get("style").replace(" ", "")
    slow = compile_email(EmailTemplate(subject="s", preheader="", html=html), inline_once=False)
    slow_html = slow.render({**sample_context(), "unsubscribe_url": "https://x.example/u/t"}).html
    assert " ".join(rendered.html.split()) == " ".join(slow_html.split())
