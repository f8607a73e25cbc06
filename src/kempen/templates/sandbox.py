"""A sandboxed Jinja2 for user-written templates: checked on save, rendered within size and time limits.

Templates come only from strings (no loader: include, import and extends are refused when checked).
Attribute access goes through an allow-list, so internals (``__class__``, ``_private``, ``format``)
are unreachable. Limits:

- source size: ``MAX_SOURCE_CHARS``, refused by ``check_template``;
- output size: ``MAX_OUTPUT_CHARS``, counted while the output is streamed from ``generate()``, and
  string/list repetition (``*``), padding (``%``) and powers (``**``) are bounded before they allocate;
- render time: ``MAX_RENDER_SECONDS``, a deadline (a context variable) checked every 64 output chunks,
  every function call and every loop iteration: each ``{% for %}`` iterable is wrapped, at compile
  time, in a filter that checks the deadline per item. No thread is ever killed; the render raises.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes, pass_context
from jinja2 import filters as jinja_filters
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from markupsafe import escape

MAX_SOURCE_CHARS = 256 * 1024
MAX_OUTPUT_CHARS = 1024 * 1024
MAX_RENDER_SECONDS = 0.2
MAX_EXPONENT = 64
_LOOP_GUARD = "_kempen_loop_guard"

# Methods a template may call on plain values; everything else (format, replace, center, …) is refused.
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset({"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
                    "endswith", "split", "isdigit", "isalpha"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
}
_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_PADDING = re.compile(r"%[^a-zA-Z%]*\d{4,}")
_deadline: ContextVar[float] = ContextVar("kempen_template_deadline", default=float("inf"))


@dataclass
class TemplateProblem(Exception):
    """A template that cannot be saved: what is wrong, on which line, in which part."""

    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.field or 'template'}, line {self.line}" if self.line else (self.field or "template")
        return f"{where}: {self.message}"


@dataclass
class RenderProblem(Exception):
    """A render that failed or ran past a limit."""

    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.field or 'template'}: {self.message}"


def _check_deadline() -> None:
    if time.monotonic() > _deadline.get():
        raise RenderProblem(f"rendering took longer than {MAX_RENDER_SECONDS * 1000:.0f} ms")


class Missing(ChainableUndefined):
    """A missing value: renders empty and chains (``a.b.c``), but an unsafe access still raises."""

    __slots__ = ()

    def __str__(self) -> str:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()
        return ""

    def __iter__(self) -> Iterator[Any]:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()
        return iter(())


def _is_missing(value: Any) -> bool:
    return isinstance(value, Undefined) or value is None or value == ""


def default_filter(value: Any, fallback: Any = "", boolean: bool = False) -> Any:
    """Use ``fallback`` when the value is missing, None or empty (or falsy with ``boolean``)."""
    if _is_missing(value) or (boolean and not value):
        return fallback
    return value


def money_filter(amount: Any, currency: Any = "") -> str:
    """Format an amount with two decimals and the currency's symbol or code."""
    if _is_missing(amount):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    code = "" if _is_missing(currency) else str(currency).upper()
    text = f"{value:,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text} {code}".strip()


def date_filter(value: Any, fmt: str = "%d %b %Y") -> str:
    """Format a date, datetime or ISO 8601 string; anything else renders unchanged."""
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, date):
        return value.strftime(str(fmt)[:200])
    return str(value)


# Tracked links (`kempen.templates.links`): the render context's tracker makes each redirect URL.
LINK_FILTER = "kempen_link"
TRACKER_VARIABLE = "_kempen_tracker"


@pass_context
def tracked_link(context: Context, value: Any, index: int | None = None) -> Any:
    """The redirect URL of tracked link `index` (static: ``{{ 3|kempen_link }}``, value is the index)."""
    # A filter, not a function: Jinja calls filters directly, without the sandbox's per-call checks
    # (a few microseconds per link per email).
    tracker = context.get(TRACKER_VARIABLE)
    if tracker is None:
        return "" if index is None else value
    return tracker.click(value) if index is None else tracker.click(index, value)


def _loop_guard(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _check_deadline()
        yield item


_FILTERS: dict[str, Callable[..., Any]] = {
    "default": default_filter, "d": default_filter, "money": money_filter, "date": date_filter,
    "upper": jinja_filters.do_upper, "lower": jinja_filters.do_lower, "title": jinja_filters.do_title,
    "capitalize": jinja_filters.do_capitalize, "trim": jinja_filters.do_trim,
    "truncate": jinja_filters.do_truncate, "round": jinja_filters.do_round, "length": len,
    "first": jinja_filters.do_first, "last": jinja_filters.do_last, "join": jinja_filters.do_join,
    "escape": escape, "e": escape, _LOOP_GUARD: _loop_guard, LINK_FILTER: tracked_link,
}


# `{% content "key" %}` names a content block (kempen.brand): replaced by the block's source before a
# message is compiled. The sandbox only parses it, so a template using blocks can be saved.
CONTENT_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class ContentBlockTag(Extension):
    """Parse `{% content "key" %}`; rendering one that was never expanded fails rather than printing nothing."""

    tags = {"content"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        if not (isinstance(key, nodes.Const) and isinstance(key.value, str)):
            parser.fail('a content block is named by a quoted key: {% content "key" %}', lineno)
        if not CONTENT_KEY.fullmatch(key.value):
            parser.fail(f"{key.value!r} is not a content block key (lower-case letters, digits, '-' and '_')", lineno)
        return nodes.Output([self.call_method("_unexpanded", [key], lineno=lineno)], lineno=lineno)

    def _unexpanded(self, key: str) -> str:
        raise TemplateError(f"content block {key!r} was not expanded")


def _finalize(value: Any) -> Any:
    # A method or macro printed by mistake would show a repr with a memory address: print nothing.
    return "" if callable(value) and not isinstance(value, Undefined) else value


class KempenSandbox(ImmutableSandboxedEnvironment):
    """The sandbox: allow-listed methods, bounded operators, a deadline on calls."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, *, html: bool) -> None:
        super().__init__(autoescape=html, undefined=Missing, loader=None, auto_reload=False,
                         finalize=_finalize, extensions=[ContentBlockTag])
        self.filters = dict(_FILTERS)
        self.globals = {"range": safe_range}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if not callable(value) or isinstance(obj, Undefined):
            return True
        return any(isinstance(obj, kind) and attr in names for kind, names in _SAFE_METHODS.items())

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Data before methods: ``last_order.items`` is the order's items, not ``dict.items``.
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_deadline()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent larger than {MAX_EXPONENT}")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > MAX_OUTPUT_CHARS:
                    raise SecurityError("repetition result too large")
        if operator == "%" and isinstance(left, str) and _PADDING.search(left):
            raise SecurityError("format width or precision too large")
        return super().call_binop(context, operator, left, right)


HTML_ENV = KempenSandbox(html=True)
TEXT_ENV = KempenSandbox(html=False)
_FORBIDDEN_TAGS = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import",
                   nodes.Extends: "extends"}
_FORBIDDEN_ATTRS = {"format", "format_map", "mro"}


def _static_problems(tree: nodes.Template, env: KempenSandbox, field: str | None) -> Iterator[TemplateProblem]:
    for node in tree.find_all(nodes.Node):
        for kind, tag in _FORBIDDEN_TAGS.items():
            if isinstance(node, kind):
                yield TemplateProblem(f"{{% {tag} %}} is not allowed: templates cannot load other templates",
                                      node.lineno, field)
        name = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            name = node.arg.value
        if name is not None and (name.startswith("_") or name in _FORBIDDEN_ATTRS):
            yield TemplateProblem(f"access to {name!r} is not allowed", node.lineno, field)
        if isinstance(node, nodes.Name) and node.name == "self":
            yield TemplateProblem("'self' is not available in templates", node.lineno, field)
        if isinstance(node, nodes.Filter) and (node.name not in env.filters or node.name.startswith("_")):
            yield TemplateProblem(f"unknown filter {node.name!r}", node.lineno, field)
        if isinstance(node, nodes.Test) and node.name not in env.tests:
            yield TemplateProblem(f"unknown test {node.name!r}", node.lineno, field)


def _guard_loops(tree: nodes.Template) -> None:
    """Wrap every loop's iterable in the deadline-checking filter."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _LOOP_GUARD, [], [], None, None, lineno=loop.lineno)


def check_template(source: str, *, field: str | None = None, html: bool = False,
                   variables: Mapping[str, Any] | None = None) -> Template:
    """Compile a template or raise the first TemplateProblem (with its line) found in it.

    `variables` are fixed values the template sees unless the render context has the same name.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateProblem(f"template longer than {MAX_SOURCE_CHARS // 1024} KiB", None, field)
    env = HTML_ENV if html else TEXT_ENV
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(exc.message or "syntax error", exc.lineno, field) from None
    for problem in _static_problems(tree, env, field):
        raise problem
    _guard_loops(tree)
    try:
        template = env.from_string(tree, globals=dict(variables) if variables else None)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(exc.message or "invalid template", exc.lineno, field) from None
    # Jinja keeps a template's globals as a ChainMap over the environment's and flattens it on every
    # render; the environments never change after start, so flatten it once (four renders per email).
    template.globals = dict(template.globals)
    return template


def _template_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_template(template: Template, context: dict[str, Any], *, field: str | None = None) -> str:
    """Render within the output and time limits, or raise RenderProblem."""
    token = _deadline.set(time.monotonic() + MAX_RENDER_SECONDS)
    parts: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise RenderProblem(f"output larger than {MAX_OUTPUT_CHARS // 1024} KiB")
            parts.append(chunk)
            # Loops and calls check the deadline themselves; this catches long runs of output cheaply.
            if not len(parts) % 64:
                _check_deadline()
    except RenderProblem as exc:
        exc.field = field
        raise
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError, RecursionError) as exc:
        raise RenderProblem(str(exc) or type(exc).__name__, _template_line(exc.__traceback__), field) from None
    finally:
        _deadline.reset(token)
    return "".join(parts)
