"""Who holds a batch lease: "host:pid:start.token", and whether that process is still alive.

The process start time (Linux: clock ticks since boot, from /proc) is part of the owner so that a
recycled pid (a restarted container numbers its processes the same way) is never mistaken for the
worker that died; the random token tells apart two owners of one process lifetime in tests.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from functools import lru_cache


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields after its closing one are fixed.
    fields = stat[stat.rfind(b")") + 2:].split()
    return fields[19].decode() if len(fields) > 19 else None


@lru_cache(maxsize=1)
def hostname() -> str:
    """This host as lease owners name it: the host name plus, on Linux, the pid namespace.

    Containers sharing the host's network (and so its host name) each have their own pid namespace:
    a process id means nothing outside it, so two of them must count as different hosts.
    """
    name = socket.gethostname().replace(":", "_") or "localhost"
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return name
    return f"{name}~{namespace.removeprefix('pid:').strip('[]')}"


@dataclass(frozen=True, slots=True)
class Owner:
    host: str
    pid: int
    start: str
    token: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}.{self.token}"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = text.rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        start, _, token = parts[2].partition(".")
        return cls(host=parts[0], pid=int(parts[1]), start=start, token=token)


@lru_cache(maxsize=1)
def _process_start() -> str:
    return _start_ticks(os.getpid()) or "0"


# Owners of this process whose worker is running; the others of this process are gone.
_live_tokens: set[str] = set()


def new_owner() -> str:
    """A fresh lease owner of this process, alive until `retire_owner` (one per worker, as the caller likes)."""
    owner = Owner(host=hostname(), pid=os.getpid(), start=_process_start(), token=secrets.token_hex(4))
    _live_tokens.add(owner.token)
    return str(owner)


def retire_owner(owner: str) -> None:
    """Mark an owner of this process as gone (its worker stopped): the sweeper may settle what it left."""
    parsed = Owner.parse(owner)
    if parsed is not None:
        _live_tokens.discard(parsed.token)


def owner_alive(owner: str) -> bool | None:
    """Whether the process behind `owner` is still running: True, False, or None when it is on another host."""
    parsed = Owner.parse(owner)
    if parsed is None or parsed.host != hostname():
        return None
    if parsed.pid == os.getpid() and parsed.start == _process_start():
        return parsed.token in _live_tokens
    ticks = _start_ticks(parsed.pid)
    if ticks is not None:
        return ticks == parsed.start
    try:  # not Linux: the pid alone
        os.kill(parsed.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
