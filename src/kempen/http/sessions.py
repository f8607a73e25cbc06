"""Signed browser session cookies for the web UI."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "kempen_session"
MAX_AGE_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class BrowserSession:
    user_id: int
    workspace_id: int
    csrf_token: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="kempen.session")


def dump_session(secret_key: str, session: BrowserSession) -> str:
    return _serializer(secret_key).dumps(
        {"uid": session.user_id, "ws": session.workspace_id, "csrf": session.csrf_token})


def load_session(secret_key: str, cookie: str | None) -> BrowserSession | None:
    """Return the session a cookie carries, or None if absent, altered or expired."""
    if not cookie:
        return None
    try:
        data = _serializer(secret_key).loads(cookie, max_age=MAX_AGE_SECONDS)
        return BrowserSession(user_id=int(data["uid"]), workspace_id=int(data["ws"]), csrf_token=str(data["csrf"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
