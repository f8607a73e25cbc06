"""The sandbox: defaults, errors at check time with their line, injection refused, size and time limits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kempen.templates.sandbox import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    RenderProblem,
    TemplateProblem,
    check_template,
    render_template,
)

CONTEXT: dict[str, Any] = {"first_name": "Ada", "custom": {"_hidden": "x", "plan": "pro"}, "plan": "pro",
                           "total_spent": 1234.5, "placed_at": "2026-01-02T03:04:05+00:00",
                           "last_order": {"items": [{"name": "Tea"}, {"name": "Cup"}], "currency": "EUR"}}


def render(source: str, context: dict[str, Any] | None = None, *, html: bool = False) -> str:
    return render_template(check_template(source, html=html), CONTEXT if context is None else context)


def test_values_filters_and_defaults() -> None:
    out = render("Hi {{ first_name | upper }}, {{ nickname | default('friend') }}, {{ plan | title }}; "
                 "{{ total_spent | money(last_order.currency) }} on {{ placed_at | date('%Y-%m-%d') }};"
                 "{% for i in last_order.items %} {{ i.name }}{% endfor %}")
    assert out == "Hi ADA, friend, Pro; €1,234.50 on 2026-01-02; Tea Cup"


def test_missing_values_render_empty_and_none_takes_the_default() -> None:
    assert render("[{{ nothing }}][{{ last_order.missing.deeper }}][{{ gone.x | money('EUR') }}]") == "[][][]"
    assert render("{{ first_name | default('there') }}", {"first_name": None}) == "there"
    assert render("{{ first_name | default('there') }}", {"first_name": ""}) == "there"


@pytest.mark.parametrize(("source", "line", "words"), [
    ("Hello\n{{ first_name }\n", 2, "unexpected"),
    ("a\nb\n{% if x %}\n{{ x | no_such_filter }}{% endif %}", 4, "unknown filter"),
    ("{% for x in y %}\nno end", 1, "endfor"),
    ("ok\n{% include 'footer.html' %}", 2, "include"),
    ("{% import 'macros.html' as m %}", 1, "import"),
    ("{% from 'macros.html' import m %}", 1, "import"),
    ("\n\n{% extends 'base.html' %}", 3, "extends"),
])
def test_problems_are_reported_at_check_time_with_their_line(source: str, line: int, words: str) -> None:
    with pytest.raises(TemplateProblem) as caught:
        check_template(source, field="html")
    assert caught.value.line == line
    assert caught.value.field == "html"
    assert words in caught.value.message


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self.__dict__ }}",
    "{{ self }}",
    "{{ custom._hidden }}",
    "{{ custom['_hidden'] }}",
    "{{ '{0.__class__}'.format(first_name) }}",
    "{{ first_name.format_map(custom) }}",
    "{{ first_name | attr('__class__') }}",
])
def test_injection_attempts_are_refused_at_check_time(source: str) -> None:
    with pytest.raises(TemplateProblem):
        check_template(source)


@pytest.mark.parametrize("source", [
    "{{ first_name[name] }}",
    "{{ first_name.center(100000) }}",
    "{{ 'x' * 100000000 }}",
    "{{ '%099999999d' % 1 }}",
    "{{ 2 ** 100000 }}",
])
def test_dynamic_escapes_are_refused_at_render_time(source: str) -> None:
    with pytest.raises(RenderProblem) as caught:
        render(source, {"first_name": "Ada", "name": "__class__"})
    assert "<class" not in str(caught.value)
    assert " at 0x" not in str(caught.value)


def test_globals_and_methods_are_not_shown() -> None:
    assert render("[{{ config }}][{{ cycler }}][{{ lipsum }}][{{ namespace }}][{{ request }}]") == "[][][][][]"
    assert render("[{{ custom.get }}][{{ first_name.upper }}][{{ range }}]") == "[][][]"


def test_contact_values_are_escaped_in_html_but_not_in_text() -> None:
    context = {"first_name": "<script>alert(1)</script>"}
    assert render("<p>{{ first_name }}</p>", context, html=True) == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert render("Hi {{ first_name }}", context) == "Hi <script>alert(1)</script>"
    with pytest.raises(TemplateProblem):
        check_template("{{ first_name | safe }}", html=True)


def test_source_size_limit() -> None:
    with pytest.raises(TemplateProblem, match="longer than"):
        check_template("x" * (MAX_SOURCE_CHARS + 1))


def test_output_size_limit_stops_while_streaming() -> None:
    with pytest.raises(RenderProblem, match="output larger"):
        render("{% for i in range(100000) %}{{ chunk }}{% endfor %}", {"chunk": "y" * 20_000})
    assert len(render("{% for i in range(1000) %}{{ chunk }}{% endfor %}", {"chunk": "y" * 100})) == 100_000
    assert MAX_OUTPUT_CHARS < 100 * 100_000


def test_huge_range_is_refused() -> None:
    start = time.monotonic()
    with pytest.raises(RenderProblem):
        render("{% for i in range(10**9) %}x{% endfor %}")
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in items %}{% for j in items %}{% for k in items %}{% endfor %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}",
])
def test_nested_loops_stop_at_the_time_limit(source: str) -> None:
    start = time.monotonic()
    with pytest.raises(RenderProblem, match="longer than"):
        render(source, {"items": list(range(5000))})
    assert time.monotonic() - start < 2


def test_runaway_recursion_is_a_render_problem() -> None:
    with pytest.raises(RenderProblem):
        render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
