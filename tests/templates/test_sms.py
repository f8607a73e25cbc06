"""SMS templates: checked like every template, rendered unescaped, counted in segments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kempen.templates.context import sample_context
from kempen.templates.sandbox import RenderProblem
from kempen.templates.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    check_sms_template,
    is_gsm7,
    render_sms,
    sms_segments,
)


def test_bodies_are_checked_with_their_line() -> None:
    assert check_sms_template("Hi {{ first_name | default('there') }}!") == []
    [problem] = check_sms_template("Hi\n{{ first_name | nope }}")
    assert problem.field == "body" and problem.line == 2 and "nope" in problem.message
    assert check_sms_template("{{ ''.__class__.__mro__ }}")
    assert check_sms_template("{% include 'x' %}")


def test_render_personalises_without_escaping() -> None:
    context = sample_context() | {"first_name": "<Zoë> & co"}
    assert render_sms("  Hi {{ first_name }}, your order {{ last_order.id }} shipped.\n", context) == (
        "Hi <Zoë> & co, your order SAMPLE-1001 shipped.")
    assert render_sms("{{ '{{ 7*7 }}' }}", {}) == "{{ 7*7 }}"
    with pytest.raises(RenderProblem):
        render_sms("{% for i in range(10**9) %}x{% endfor %}", {})


@pytest.mark.parametrize(("text", "segments"), [
    ("", 0), ("Hi", 1), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2), ("a" * 152 + "€" * 77, 3),  # 2 septets each, never split between parts
    ("é" * 160, 1),  # in the GSM alphabet
    ("ê" * 70, 1), ("ê" * 71, 2), ("ê" * 134, 2), ("ê" * 135, 3),  # UCS-2
    ("😀" * 35, 1), ("😀" * 36, 2), ("😀" * 67, 3),  # two UTF-16 units each, never split
])
def test_segments(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


def test_one_character_outside_the_alphabet_makes_the_whole_message_ucs2() -> None:
    assert is_gsm7("Hello {}[]~€ @£$")
    assert not is_gsm7("Hello ç") and sms_segments("a" * 70 + "ç") == 2


@given(st.text(st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), max_size=700))
def test_gsm7_segments_hold_every_septet(text: str) -> None:
    septets = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    segments = sms_segments(text)
    if septets <= 160:
        assert segments == (1 if text else 0)
    else:
        # Each full part holds 153 septets, or 152 when the next character is a two-septet one.
        assert 152 * (segments - 1) < septets <= 153 * segments
