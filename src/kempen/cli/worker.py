"""`kempen worker`: send campaigns.

With KEMPEN_BROKER_URL set: Dramatiq worker processes consume the `send_batch` queue, and this process
runs the engine loop (scheduled launches, dispatch to the broker, completion, the sweeper). Without
a broker: sending threads and the engine loop run here, in the foreground, against the database
(several such workers, on one host or many, may share one database).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import FrameType

import typer
from sqlalchemy import select

from kempen.cli.common import console
from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.dispatch import queued_count
from kempen.delivery.loop import EngineLoop

logger = logging.getLogger("kempen.worker")


def _wait_for_signal() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _run_inprocess(threads: int) -> None:
    from kempen.delivery.inprocess import start_inprocess_worker

    stop = _wait_for_signal()
    stop_worker = start_inprocess_worker(threads=threads)
    console.print(f"Kempen worker: {threads} sending thread(s), no broker (Ctrl-C to stop)")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        console.print("stopping: finishing the sub-chunks in flight")
        stop_worker()


def _run_with_broker(url: str, processes: int, threads: int) -> None:
    import dramatiq

    from kempen.delivery.broker import declare_actor, make_broker

    broker = make_broker(url)
    dramatiq.set_broker(broker)
    actor = declare_actor(broker)
    command = [sys.executable, "-m", "dramatiq", "kempen.delivery.tasks", "--processes", str(processes),
               "--threads", str(threads)]
    dramatiq_workers = subprocess.Popen(command)  # noqa: S603 - our own interpreter and module
    cap = max(100, 4 * processes * threads)

    def enqueue(batch_ids: Sequence[int]) -> None:
        for batch_id in batch_ids:
            actor.send(batch_id)

    def room() -> int:
        with get_session_factory()() as session:
            return cap - queued_count(session)

    stop = _wait_for_signal()
    loop = EngineLoop(enqueue=enqueue, room=room)
    console.print(f"Kempen worker: {processes} Dramatiq process(es) × {threads} thread(s) on {broker.__class__.__name__}"
                  " (Ctrl-C to stop)")
    loop_thread = threading.Thread(target=loop.run, args=(stop,), name="kempen-engine", daemon=True)
    loop_thread.start()
    try:
        while not stop.wait(1.0):
            if dramatiq_workers.poll() is not None:
                console.print(f"[red]Dramatiq workers exited with code {dramatiq_workers.returncode}[/]")
                stop.set()
    finally:
        loop.wake()
        loop_thread.join(timeout=30)
        if dramatiq_workers.poll() is None:
            dramatiq_workers.send_signal(signal.SIGTERM)  # Dramatiq finishes the messages in hand
            dramatiq_workers.wait(timeout=120)
        broker.close()


def _check_database() -> None:
    from kempen.models import Workspace

    with get_session_factory()() as session:
        session.execute(select(Workspace.id).limit(1))


def worker_command(
    processes: int = typer.Option(os.cpu_count() or 1, "--processes", "-p", min=1,
                                  help="Dramatiq worker processes (with a broker)"),
    threads: int = typer.Option(0, "--threads", "-t", min=0,
                                help="Sending threads per process (default: 8 with a broker, "
                                     "KEMPEN_INPROCESS_WORKERS without)"),
) -> None:
    """Send campaigns: Dramatiq workers when KEMPEN_BROKER_URL is set, else threads in this process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    _check_database()
    if settings.broker_url:
        # The SMTP rate limit is shared evenly by the sending processes (kempen.channels reads this).
        os.environ["KEMPEN_WORKER_PROCESSES"] = str(processes)
        _run_with_broker(settings.broker_url, processes, threads or 8)
    else:
        os.environ["KEMPEN_WORKER_PROCESSES"] = "1"
        _run_inprocess(threads or settings.inprocess_workers)
