"""Notification emails, sent after commit to members who turned them on.

Mail goes where campaign mail goes: the server of KEMPEN_SMTP_URL, or the built-in sink when none is
set (it files the message in the workspace's inbox by its X-Kempen-Workspace header). The sender is
the workspace's default sender (send settings), else no-reply at the host of KEMPEN_BASE_URL. One
plain-text message per notification over one SMTP connection per round; a notification whose send
fails stays pending and is tried again next round, at most `MAX_PER_ROUND` a round. Each email is
claimed (a committed compare-and-set) before it is sent, so two servers' rounds never both send it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.campaigns.settings import get_send_settings
from kempen.channels.email.smtp import SmtpServer
from kempen.config import Settings, get_settings
from kempen.kit.clock import utcnow
from kempen.models import User
from kempen.models.teamwork import Notification

logger = logging.getLogger("kempen.teamwork.emails")
MAX_PER_ROUND = 200


def smtp_server(settings: Settings) -> SmtpServer:
    if settings.smtp_url:
        return SmtpServer.from_url(settings.smtp_url)
    return SmtpServer(host=settings.mail_sink_host, port=settings.mail_sink_port, tls="off")


def _connect(server: SmtpServer, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=server.cafile)
    if not server.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    smtp: smtplib.SMTP
    if server.tls == "implicit":
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout, local_hostname=server.helo)
        smtp.ehlo()
        if server.tls == "required" or (server.tls == "opportunistic" and smtp.has_extn("starttls")):
            smtp.starttls(context=context)
            smtp.ehlo()
    if server.username:
        smtp.login(server.username, server.password or "")
    return smtp


def _sender(session: Session, workspace_id: int, settings: Settings) -> str:
    send = get_send_settings(session, workspace_id=workspace_id)
    host = urlsplit(settings.base_url).hostname or "localhost"
    address = send.from_email or f"no-reply@{host}"
    return formataddr((send.from_name or "Kempen", address))


def build_email(note: Notification, *, to: str, sender: str, base_url: str) -> EmailMessage:
    """The plain-text email of one notification."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = note.title
    message["Message-ID"] = make_msgid(domain=urlsplit(base_url).hostname or "localhost")
    message["X-Kempen-Workspace"] = str(note.workspace_id)
    message["Auto-Submitted"] = "auto-generated"
    link = f"{base_url.rstrip('/')}{note.link}" if note.link else base_url
    lines = [note.title, "", note.body, "", f"Open it in Kempen: {link}", "",
             "You get these emails because you turned on notification emails in Kempen (Notifications page)."]
    message.set_content("\n".join(line for line in lines if line is not None))
    return message


def send_pending_emails(session_factory: Callable[[], Session], *, settings: Settings | None = None) -> int:
    """Email every pending notification; return how many were sent."""
    settings = settings or get_settings()
    with session_factory() as session:
        rows = list(session.execute(
            select(Notification, User.email).join(User, User.id == Notification.user_id)
            .where(Notification.email_pending.is_(True)).order_by(Notification.id).limit(MAX_PER_ROUND)))
        if not rows:
            return 0
        sent = 0
        try:
            smtp = _connect(smtp_server(settings), settings.smtp_timeout_seconds)
        except (OSError, smtplib.SMTPException):
            logger.exception("cannot reach the mail server for notification emails")
            return 0
        senders: dict[int, str] = {}
        with smtp:
            for note, email in rows:
                if not _claim(session, note.id):
                    continue  # another server's round took it
                sender = senders.setdefault(note.workspace_id, _sender(session, note.workspace_id, settings))
                try:
                    smtp.send_message(build_email(note, to=email, sender=sender, base_url=settings.base_url))
                except (smtplib.SMTPException, OSError):
                    logger.exception("notification %s: email not sent; trying again next round", note.id)
                    _set(session, note.id, email_pending=True)
                    continue
                _set(session, note.id, emailed_at=utcnow())
                sent += 1
        return sent


def _claim(session: Session, notification_id: int) -> bool:
    """Take a pending email for this round (committed), so that two servers never both send it."""
    result = session.execute(update(Notification)
                             .where(Notification.id == notification_id, Notification.email_pending.is_(True))
                             .values(email_pending=False).execution_options(synchronize_session=False))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _set(session: Session, notification_id: int, **values: object) -> None:
    session.execute(update(Notification).where(Notification.id == notification_id).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()
