"""`amphigory daemon`: run a drive daemon until SIGINT/SIGTERM, then shut down cleanly (exit 0)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import sys

from amphigory_cli.token_file import read_token
from amphigory_daemon.backends import BackendError
from amphigory_daemon.config import DaemonSettings


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop` (on the running loop) instead of raising KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _main(settings: DaemonSettings) -> None:
    from amphigory_daemon.main import run

    stop = asyncio.Event()
    install_stop_signals(stop)
    await run(settings, stop)


def run_daemon(settings: DaemonSettings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.token is None:  # a webapp on this machine with the same --data-dir left its token there
        settings = dataclasses.replace(settings, token=read_token(settings.data_dir))
    print(f"amphigory daemon {settings.daemon_id} -> {settings.webapp_url}", flush=True)
    try:
        asyncio.run(_main(settings))
    except BackendError as exc:
        print(f"amphigory daemon: {exc}", file=sys.stderr)
        return 2
    return 0
