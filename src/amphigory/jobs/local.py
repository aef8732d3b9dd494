"""`serve --workers N`: N `amphigory worker` processes on this machine, children that die with the webapp.

They start with the first job (a webapp with nothing to do starts no processes) and talk to the webapp over
loopback HTTP exactly as a worker elsewhere does; they get the token in their environment, never on a command line
that `ps` shows.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from amphigory_protocol.children import DIE_WITH_US
from amphigory_worker.queue import sqlite_file

log = logging.getLogger(__name__)


def loopback_url(host: str, port: int) -> str:
    """The webapp's HTTP base as a worker on this machine reaches it."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def local_queue_url(queue: str, data_dir: Path) -> str:
    """The queue URL a local worker is given: the webapp's SQLite file by its absolute path, or the Redis URL."""
    path = sqlite_file(queue, data_dir)
    return f"sqlite://{path.resolve()}" if path is not None else queue


class LocalWorkers:
    """Up to `count` worker processes, started on demand (and again if one died), stopped with the webapp."""

    def __init__(self, count: int, queue: str, webapp_url: str, token: str | None, data_dir: Path) -> None:
        self.count = count
        self.queue = local_queue_url(queue, data_dir)
        self.webapp_url = webapp_url
        self.token = token
        self.data_dir = data_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        """Start the missing workers (call it from the event loop's thread: DIE_WITH_US follows that thread)."""
        if self.token is None:
            return
        self.processes = [p for p in self.processes if p.poll() is None]
        for n in range(len(self.processes), self.count):
            scratch = self.data_dir / "workers" / str(n + 1)
            argv = [sys.executable, "-m", "amphigory_cli.main", "worker", "--queue", self.queue,
                    "--webapp-url", self.webapp_url, "--data-dir", str(scratch)]
            env = {**os.environ, "AMPHIGORY_TOKEN": self.token}
            self.processes.append(subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, preexec_fn=DIE_WITH_US))
            log.info("local worker %d started (pid %d)", n + 1, self.processes[-1].pid)

    def stop(self, timeout: float = 5.0) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
