"""Where webhooks may go: public addresses only, so a webhook cannot probe the internal network.

A URL is checked when it is registered (a literal private address is refused) and again, after DNS
resolution, right before every send, so a name that later resolves to an internal address is
caught too. Plain HTTP to this machine is admitted only with `webhook_allow_http_localhost`.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from kempen.config import get_settings

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _local_allowed(host: str) -> bool:
    return host in LOCAL_HOSTS and get_settings().webhook_allow_http_localhost


def literal_address_refusal(host: str) -> str | None:
    """Why a host written as an IP address may not receive webhooks, or None if it may (or is a name)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_global or _local_allowed(host):
        return None
    return f"{host} is not a public address"


def destination_refusal(url: str) -> str | None:
    """Resolve the URL's host and say why it may not be sent to, or None if every address is public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _local_allowed(host):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{host} resolves to {address}, which is not a public address"
    return None
