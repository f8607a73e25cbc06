"""Checking a variant's templates when it is saved, so that a template error never reaches send time."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from kempen.kit.errors import InvalidInput
from kempen.models import Channel
from kempen.templates.email import EmailTemplate, check_email_template
from kempen.templates.sandbox import TemplateProblem, check_template

# Channels whose content is one text template in `body`.
TEXT_CHANNELS = frozenset({Channel.SMS, Channel.PUSH})
MAX_CONTENT_BYTES = 64 * 1024
_VERDICTS_KEPT = 1024
_verdicts: OrderedDict[tuple[Channel, bytes], tuple[TemplateProblem, ...]] = OrderedDict()
_verdicts_lock = threading.Lock()


@dataclass(frozen=True)
class Content:
    """The template parts of a variant, saved or not."""

    subject: str = ""
    preheader: str = ""
    html: str = ""
    text: str | None = None
    body: str = ""


def email_template(content: Content) -> EmailTemplate:
    return EmailTemplate(subject=content.subject, preheader=content.preheader, html=content.html, text=content.text)


def template_problems(channel: Channel, content: Content) -> list[TemplateProblem]:
    """Compile the parts the channel uses; return what is wrong, each with its part and line."""
    # Compiling a long template takes tens of milliseconds, and readiness re-checks content that was
    # already checked when saved: remember the verdict per content digest.
    key = (channel, hashlib.sha256(repr(dataclasses.astuple(content)).encode()).digest())
    with _verdicts_lock:
        if key in _verdicts:
            _verdicts.move_to_end(key)
            return list(_verdicts[key])
    problems = _compile(channel, content)
    with _verdicts_lock:
        _verdicts[key] = tuple(problems)
        if len(_verdicts) > _VERDICTS_KEPT:
            _verdicts.popitem(last=False)
    return problems


def _compile(channel: Channel, content: Content) -> list[TemplateProblem]:
    if channel == Channel.EMAIL:
        return check_email_template(email_template(content))
    if not content.body:
        return []
    try:
        check_template(content.body, field="body")
    except TemplateProblem as problem:
        return [problem]
    return []


def invalid_templates(problems: list[TemplateProblem]) -> InvalidInput:
    """One 422 naming every problem ("html, line 3: unexpected '}'"), with the list in `errors`."""
    return InvalidInput(
        "; ".join(str(p) for p in problems),
        errors=[{"field": p.field, "line": p.line, "message": p.message} for p in problems])


def check_content(channel: Channel, content: Content) -> None:
    """Refuse content whose templates do not compile."""
    problems = template_problems(channel, content)
    if problems:
        raise invalid_templates(problems)


def check_extra(content: dict[str, object]) -> None:
    """Refuse a channel-specific `content` object that is too large to be a message."""
    if len(json.dumps(content, default=str)) > MAX_CONTENT_BYTES:
        raise InvalidInput(f"content: larger than {MAX_CONTENT_BYTES // 1024} KiB.")


def missing_parts(channel: Channel, content: Content) -> list[str]:
    """Parts a message on this channel cannot go without."""
    if channel == Channel.EMAIL:
        return [part for part, value in (("a subject", content.subject), ("an HTML body", content.html))
                if not value.strip()]
    if channel in TEXT_CHANNELS and not content.body.strip():
        return ["a body"]
    return []
