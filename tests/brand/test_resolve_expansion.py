"""Expanding content blocks into templates: HTML and text versions, nesting, cycles, unknown keys, lines."""

from __future__ import annotations

import pytest

from kempen.brand.expansion import BlockSource, expand, keys_used_transitively
from kempen.brand.resolve import BrandContent, brand_email, brand_problems, branded_sms, branded_template
from kempen.templates.email import EmailTemplate, render_email
from kempen.templates.sandbox import RenderProblem, TemplateProblem, check_template, render_template

BLOCKS = {
    "banner": BlockSource('<p class="b">Spring <a href="https://shop.example/spring">sale</a></p>', "Spring sale"),
    "outer": BlockSource('<div>\n{% content "banner" %}\n</div>', 'Outer: {% content "banner" %}'),
    "broken": BlockSource("<p>one</p>\n<p>{{ 1 / zero }}</p>", "t"),
    "html-only": BlockSource("<p>only html</p>", ""),
    "a": BlockSource('{% content "b" %}', "a"), "b": BlockSource('{% content "a" %}', "b"),
    "d1": BlockSource('{% content "d2" %}', "x"), "d2": BlockSource('{% content "d3" %}', "x"),
    "d3": BlockSource('{% content "d4" %}', "x"), "d4": BlockSource("<p>deep</p>", "x"),
}
BRAND = BrandContent(blocks=BLOCKS)


def test_html_parts_get_the_html_version_and_text_parts_the_text() -> None:
    template = EmailTemplate(subject='{% content "banner" %} for {{ first_name }}', preheader="",
                             html='<html><body>{% content "outer" %}</body></html>', text='{% content "outer" %}')
    branded = branded_template(template, BRAND)
    assert branded.subject == "Spring sale for {{ first_name }}"
    assert branded.html == ('<html><body><div>\n<p class="b">Spring <a href="https://shop.example/spring">sale</a>'
                            '</p>\n</div></body></html>')
    assert branded.text == "Outer: Spring sale"
    assert branded_sms('Hi! {% content "banner" %}', BRAND) == "Hi! Spring sale"


def test_whitespace_control_trims_like_jinja() -> None:
    source = 'a  \n  {%- content "banner" -%}  \n b'
    assert expand(source, field="text", html=False, blocks=BLOCKS).source == "aSpring saleb"
    plain = render_template(check_template('a  \n  {%- if true -%}Spring sale{%- endif -%}  \n b'), {})
    assert plain == "aSpring saleb"


def test_unknown_block_names_the_part_and_the_line_as_written() -> None:
    with pytest.raises(TemplateProblem) as raised:
        branded_template(EmailTemplate("Hi", "", '<p>1</p>\n<p>2</p>\n{% content "spring-banner" %}'), BRAND)
    assert str(raised.value) == "html, line 3: unknown content block 'spring-banner'"


def test_cycle_and_depth_are_problems_naming_the_blocks() -> None:
    with pytest.raises(TemplateProblem) as cycle:
        expand('x\n{% content "a" %}', field="html", html=True, blocks=BLOCKS)
    assert str(cycle.value) == ("html, line 2: content block 'b', line 1: content blocks use each other in a cycle: "
                                "a → b → a")
    assert expand('{% content "d2" %}', field="html", html=True, blocks=BLOCKS).source == "<p>deep</p>"
    with pytest.raises(TemplateProblem, match="nested more than 3 deep: d1 → d2 → d3 → d4"):
        expand('{% content "d1" %}', field="html", html=True, blocks=BLOCKS)


def test_a_block_without_a_text_version_in_a_text_part_is_a_problem() -> None:
    with pytest.raises(TemplateProblem) as raised:
        branded_template(EmailTemplate('{% content "html-only" %}', "", "<p>x</p>"), BRAND)
    assert str(raised.value) == "subject, line 1: content block 'html-only' has no text version"
    # Used in the HTML it is fine; the derived text part is made from the HTML.
    rendered = render_email(branded_template(EmailTemplate("s", "", '{% content "html-only" %}'), BRAND), {})
    assert "only html" in rendered.text


def test_a_render_error_inside_a_block_names_the_block_and_its_line() -> None:
    branded = brand_email(EmailTemplate("s", "", '<html><body>\n<h1>Hi</h1>\n{% content "broken" %}\n</body></html>'),
                          BRAND)
    with pytest.raises(RenderProblem) as raised:
        render_email(branded.template, {"zero": 0, "unsubscribe_url": "#"})
    located = branded.relocate(raised.value)
    assert (located.field, located.line) == ("html", 3)
    assert located.message.startswith("content block 'broken', line 2: ")


def test_brand_problems_reports_what_the_blocks_bring() -> None:
    parts = [("subject", 'ok {% content "banner" %}', False), ("html", '<p>\n{% content "nope" %}</p>', True),
             ("text", '{% if x %}{% content "banner" %}', False)]
    problems = brand_problems(parts, BRAND)
    assert [(p.field, p.line) for p in problems] == [("html", 2), ("text", 1)]
    assert problems[0].message == "unknown content block 'nope'"
    assert "end of template" in problems[1].message


def test_brand_footer_goes_where_the_html_has_no_unsubscribe_link() -> None:
    brand = BrandContent(footer_html='<footer><a href="{{ unsubscribe_url }}">Leave</a> {{ brand.name }}</footer>',
                         footer_text="Leave: {{ unsubscribe_url }}")
    branded = branded_template(EmailTemplate("s", "", "<html><body><p>Hi</p></body></html>", "Hi"), brand)
    assert branded.html == ('<html><body><p>Hi</p><footer><a href="{{ unsubscribe_url }}">Leave</a> {{ brand.name }}'
                            '</footer></body></html>')
    assert branded.text == "Hi\n\nLeave: {{ unsubscribe_url }}"
    own = EmailTemplate("s", "", '<p><a href="{{ unsubscribe_url }}">x</a></p>', "Bye {{ unsubscribe_url }}")
    assert branded_template(own, brand) == own
    rendered = render_email(branded_template(EmailTemplate("s", "", "<p>Hi</p>"), brand),
                            {"unsubscribe_url": "https://u.example/x", "brand": {"name": "Acme Tea"}})
    assert "Leave</a> Acme Tea" in rendered.html and rendered.html.count("https://u.example/x") == 1
    # Without a brand footer the compiler's neutral one stays.
    assert branded_template(EmailTemplate("s", "", "<p>Hi</p>"), BrandContent()).html == "<p>Hi</p>"


def test_an_unexpanded_tag_fails_to_render_rather_than_print_nothing() -> None:
    template = check_template('<p>{% content "banner" %}</p>', html=True)
    with pytest.raises(RenderProblem, match="content block 'banner' was not expanded"):
        render_template(template, {})
    with pytest.raises(TemplateProblem, match="not a content block key"):
        check_template('{% content "Spring Banner" %}')


def test_snapshot_round_trip_and_transitive_keys() -> None:
    brand = BrandContent(variables={"name": "Acme"}, blocks={"banner": BLOCKS["banner"]}, footer_html="<f>",
                         footer_text="f")
    again = BrandContent.from_snapshot(brand.to_snapshot())
    assert again.variables == {"name": "Acme"} and again.blocks == brand.blocks and again == brand
    assert keys_used_transitively(['{% content "outer" %} {% content "zz" %}'], BLOCKS) == {"outer", "banner", "zz"}
