"""Email templates: every part checked, preheader hidden, CSS inlined, plain text derived with its links."""

from __future__ import annotations

import time

from kempen.templates.context import sample_context
from kempen.templates.email import EmailTemplate, check_email_template, html_to_text, render_email

HTML = """<html><head><style>p { color: #cc0001 } .big { font-size: 20px }
@media (max-width: 600px) { p { color: blue } }</style></head>
<body><h1>Hello {{ first_name | default('there') }}</h1>
<p class="big">You spent {{ total_spent | money(last_order.currency) }}.</p>
<ul>{% for item in last_order.items %}<li>{{ item.name }} x{{ item.quantity }}</li>{% endfor %}</ul>
<p>Visit <a href="https://shop.example.com/?a=1&amp;b=2">our shop</a> or <a href="https://x.example">https://x.example</a>.</p>
</body></html>"""


def test_every_part_is_checked_with_its_line() -> None:
    template = EmailTemplate(subject="Hi {{ first_name", preheader="ok", html="<p>\n\n{% include 'x' %}</p>",
                             text="fine\n{{ x | nope }}")
    problems = {p.field: p.line for p in check_email_template(template)}
    assert problems == {"subject": 1, "html": 3, "text": 2}
    assert check_email_template(EmailTemplate("Hi", "Pre", HTML)) == []


def test_render_personalises_inlines_css_and_derives_text() -> None:
    context = sample_context() | {"unsubscribe_url": "https://kempen.example/u/t"}
    email = render_email(EmailTemplate("Hi {{ first_name }}\r\nBcc: x@evil", "Order {{ last_order.id }}", HTML),
                         context)
    assert email.subject == "Hi Alex Bcc: x@evil"
    assert email.preheader == "Order SAMPLE-1001"
    assert 'class="big" style="color:#cc0001; font-size:20px"' in email.html
    assert "@media" in email.html
    assert "<h1>Hello Alex</h1>" in email.html
    body = email.html.split("<body>", 1)[1].lstrip()
    assert body.startswith('<div style="display:none') and "Order SAMPLE-1001" in body.split("</div>")[0]
    assert email.text == ("Hello Alex\n\nYou spent €149.70.\n\n- Green tea x2\n\n"
                          "Visit our shop (https://shop.example.com/?a=1&b=2) or https://x.example.\n\n"
                          "Unsubscribe (https://kempen.example/u/t)")


def test_contact_values_are_escaped_in_the_html_part() -> None:
    context = sample_context() | {"first_name": "<script>alert(1)</script>"}
    email = render_email(EmailTemplate("Hi {{ first_name }}", "", "<p>{{ first_name }}</p>"), context)
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert email.subject == "Hi <script>alert(1)</script>"
    assert email.text.splitlines()[0] == "<script>alert(1)</script>"


def test_a_given_text_part_is_used_as_written() -> None:
    # A text part without its own unsubscribe link gets the footer (tests/templates/test_compiled.py).
    text = "Plain {{ first_name }}\nStop: {{ unsubscribe_url }}"
    email = render_email(EmailTemplate("s", "", "<p>html</p>", text=text), sample_context() | {"unsubscribe_url": "u"})
    assert email.text == "Plain Alex\nStop: u"


def test_remote_stylesheets_are_never_fetched() -> None:
    html = '<html><head><link rel="stylesheet" href="http://10.255.255.1/x.css"></head><body><p>x</p></body></html>'
    start = time.monotonic()
    email = render_email(EmailTemplate("s", "", html), {})
    assert time.monotonic() - start < 2
    assert "<p>x</p>" in email.html


def test_html_to_text_drops_scripts_comments_and_collapses_whitespace() -> None:
    text = html_to_text("<div>  a \n\n  b <script>var x;</script><style>p{}</style></div><p>c<br>d</p>"
                        "<!--[if mso]><p>outlook only</p><![endif]--><!-- note -->")
    assert text == "a b\n\nc\nd"
