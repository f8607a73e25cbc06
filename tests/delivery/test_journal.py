"""The send journal survives its writer and reads back exactly; lease owners know whether they live."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from kempen.delivery.journal import BatchJournal, journal_file, read_journal
from kempen.delivery.owner import Owner, hostname, new_owner, owner_alive, retire_owner


def test_lines_are_written_at_once_and_read_back(tmp_path: Path) -> None:
    path = journal_file(tmp_path / "j", "host:1:2.ab", 7)
    journal = BatchJournal(path)
    journal.arm({10: 1, 11: 3})
    journal.committing(10)
    journal.committing(11)
    # Unbuffered: another reader sees the lines before the journal is closed.
    assert read_journal(path) == {10: 1, 11: 3}
    journal.discard()
    assert not path.exists() and read_journal(path) is None


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "x.journal"
    path.write_bytes(b"5 1\n6 2\n7")
    assert read_journal(path) == {5: 1, 6: 2}


def test_the_journal_survives_a_killed_writer(tmp_path: Path) -> None:
    path = journal_file(tmp_path, "h:9:9.zz", 3)
    script = (f"import os, signal\nfrom pathlib import Path\nfrom kempen.delivery.journal import BatchJournal\n"
              f"j = BatchJournal(Path({str(path)!r}))\nj.arm({{1: 1, 2: 1}})\nj.committing(1)\nj.committing(2)\n"
              f"os.kill(os.getpid(), signal.SIGKILL)\n")
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == -9
    assert read_journal(path) == {1: 1, 2: 1}


def test_file_names_are_safe_whatever_the_owner(tmp_path: Path) -> None:
    path = journal_file(tmp_path, "we/ird host:1:2.x", 5)
    assert path.parent == tmp_path and "/" not in path.name and path.name.endswith("~5.journal")


def test_owner_liveness() -> None:
    mine = new_owner()
    parsed = Owner.parse(mine)
    assert parsed is not None and parsed.pid == os.getpid() and parsed.host == hostname()
    assert owner_alive(mine) is True
    retire_owner(mine)
    assert owner_alive(mine) is False  # this process, but that worker stopped
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        start = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
        assert owner_alive(f"{hostname()}:{child.pid}:{start}.aa") is True
        # The same pid with another start time is a recycled pid, not that worker.
        assert owner_alive(f"{hostname()}:{child.pid}:1.aa") is False
    finally:
        child.kill()
        child.wait()
    assert owner_alive(f"{hostname()}:{child.pid}:{start}.aa") is False
    assert owner_alive("elsewhere.example:1:1.aa") is None  # another host: cannot tell
    # A container sharing this host's name but not its pid namespace is another host too.
    assert owner_alive(f"{socket.gethostname()}~1:{os.getpid()}:1.aa") is None
