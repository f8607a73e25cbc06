"""Email templates the compiled path is checked against: what marketers write, and what it must refuse."""

from __future__ import annotations

from pathlib import Path

STYLE = """<style>p { color: #333 } .btn { background: #0a5; color: #fff; padding: 8px } td { padding: 2px }
h1 { font-size: 24px } a { color: #06c } .muted { color: #999 }
@media (max-width: 600px) { .btn { display: block !important } }</style>"""

NEWSLETTER = (Path(__file__).resolve().parents[2] / "bench" / "send_template.html").read_text()

# Each of these has its CSS inlined once, at compile time.
FAST = {
    "fragment": "<p>Hello {{ first_name }}</p>",
    "document": ("<!DOCTYPE html><html><head>" + STYLE + "<title>{{ first_name }}'s news</title></head>"
                 "<body><h1>Hi {{ first_name | default('there') }}</h1><p class=\"muted\">{{ city }}</p></body></html>"),
    "conditionals": (STYLE + "{% if last_order %}<p>Thanks for order {{ last_order.id }}, {{ first_name }}!</p>"
                     "{% elif vip %}<p>VIP</p>{% else %}<p>Shop now</p>{% endif %}<p>Bye</p>"),
    "loop_in_table": (STYLE + "<table><tr><th>Item</th><th>Price</th></tr>{% for i in last_order['items'] %}"
                      "<tr><td>{{ loop.index }}. {{ i.name }}</td><td>{{ i.price | money(last_order.currency) }}</td></tr>"
                      "{% else %}<tr><td>none</td></tr>{% endfor %}</table>"),
    "attributes": (STYLE + '<p><a class="btn" href="{{ url }}?a=1&b={{ first_name }}">Go {{ first_name }}</a> '
                   '<img src="https://img.example/{{ id }}.png" alt="{{ first_name }}"></p>'),
    "non_ascii": STYLE + "<p>Grüße {{ first_name }} — café ☕ &euro; &amp; &#123;&#123; 7*7 }}</p><p>{{ city | upper }}</p>",
    "set_before_doctype": ("{% set greeting = 'Hoi' %}\n<!DOCTYPE html>\n<html><head>" + STYLE + "</head><body>"
                           "<p>{{ greeting }} {{ first_name }}</p></body></html>\n{# the end #}\n"),
    "statement_in_attribute": (STYLE + '<p><a href="{% if vip %}https://vip.example{% else %}https://all.example'
                               '{% endif %}/?n={{ first_name }}">Go</a></p>'),
    "expression_in_style_attribute": (STYLE + "<table><tr><td style=\"background: {{ colour | default('#fff') }}; "
                                      "padding: 4px\">{{ first_name }}</td></tr></table>"),
    "macro": (STYLE + "{% macro button(href, label) %}<a class=\"btn\" href=\"{{ href }}\">{{ label }}</a>{% endmacro %}"
              "<p>{{ button(url, 'Shop ' ~ first_name) }}</p><p>{{ button('https://b.example', 'Two') }}</p>"),
    "outlook_conditional_comment": (STYLE + "<body><!--[if mso]><table><tr><td>{{ first_name }}</td></tr></table>"
                                    "<![endif]--><p>{{ first_name }}</p></body>"),
    "link_label_is_its_url": (STYLE + '<p>See <a href="{{ url }}">{{ url }}</a> or <a href="{{ url }}"></a> '
                              'or <a href="">{{ first_name }}</a></p>'),
    "nested_loops": (STYLE + "<ul>\n{% for i in last_order['items'] %}\n  <li>{{ i.name }}\n  <ul>{% for n in "
                     "range(i.quantity) %}<li>#{{ n }}</li>{% endfor %}</ul></li>\n{% endfor %}\n</ul>\n<p>After</p>"),
    "whitespace_control": STYLE + "<p>\n  {%- if first_name -%}\n    Hi {{ first_name }}\n  {%- endif -%}\n</p>",
    "own_unsubscribe_link": (STYLE + '<p>{{ first_name }}</p><p class="muted"><a href="{{ unsubscribe_url }}">'
                             "Stop these emails</a></p>"),
    "blocks_in_if": STYLE + "<p>A</p>\n{% if vip %}\n<p>VIP {{ first_name }}</p>\n{% endif %}\n<p>C</p>",
    "set_and_loop_in_divs": (STYLE + "{% set total = last_order.amount %}<div>{% for i in last_order['items'] %}"
                             "<div class=\"muted\">{{ i.name }}{% if not loop.last %},{% endif %}</div>{% endfor %}"
                             "</div><p>Total {{ total | money('EUR') }}</p>"),
    "filters": ("<p>{{ first_name | default('friend') | title }} {{ total_spent | money('EUR') }} "
                "{{ last_order.placed_at | date('%d %B %Y') }} {{ (first_name or '') | truncate(5) }} {{ city | lower }}</p>"),
    "fragment_starting_with_if": "{% if vip %}<p>VIP {{ first_name }}</p>{% endif %}<p>b</p>",
    "style_then_loop": STYLE + "\n{% for i in last_order['items'] %}<p>{{ i.name }}</p>{% endfor %}",
    "conditional_meta_in_head": ("<!DOCTYPE html><html><head>{% if vip %}<meta name=\"x\" content=\"{{ first_name }}\">"
                                 "{% endif %}" + STYLE + "</head><body><p>{{ first_name }}</p></body></html>"),
    "empty": "",
    "text_only": "Hello {{ first_name }}, plain.",
    "doctype_without_html_tag": "<!DOCTYPE html>" + STYLE + "{% if vip %}<p>{{ first_name }}</p>{% endif %}",
    "set_block": STYLE + "{% set greeting %}Hi <b>{{ first_name }}</b>{% endset %}<p>{{ greeting }}</p>",
    "sets_around_fragment": "{% set n = 3 %}\n<p>{{ n }} {{ first_name }}</p>\n{% set m = 4 %}",
    "list_items_without_end_tags": "<ul>{% for i in last_order['items'] %}<li>{{ i.name }}{% endfor %}</ul><p>{{ city }}",
    "newsletter": NEWSLETTER,
}

# Each of these is inlined per render, for the reason given.
SLOW = {
    "jinja_in_style": ("<style>p { color: {{ colour }} }</style><p>x</p>", "<style>"),
    "tag_name": ("<h{{ level }}>Title</h{{ level }}>", "tag name"),
    "raw_block": ("<p>{% raw %}{{ literal }}{% endraw %} {{ first_name }}</p>", "raw"),
    "class_with_stylesheet": (STYLE + '<p class="{{ tier }}">x</p>', "class"),
    "statement_between_attributes": ('<p {% if vip %}class="vip"{% endif %}>x</p>', "tag name"),
    "statement_in_style_attribute": ('<p style="{% if vip %}color:red{% endif %}">x</p>', "style attribute"),
    "unquoted_attribute": ("<a href={{ url }}>x</a>", "unquoted"),
    "if_around_document": ("{% if vip %}<!DOCTYPE html><html><body><p>x</p></body></html>{% endif %}", ""),
    "style_in_if": ("{% if vip %}<style>p { color: red }</style>{% endif %}<p>x</p>", "<style> block inside"),
    "branches_open_a_tag_each": (STYLE + '{% if vip %}<p class="muted">{% else %}<p>{% endif %}{{ first_name }}</p>',
                                 "inside a {% %} block"),
    "body_content_in_head": ("<html><head>{% if vip %}<p>{{ first_name }}</p>{% endif %}</head><body><p>y</p></body></html>",
                             "moved"),
}
