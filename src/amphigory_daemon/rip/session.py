"""What every backend's rip shares while its tool runs: progress reports (on every change, at most 4 a second,
and at least once a second even when the tool is silent) and the watchdog that notices the disc going away."""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from amphigory_daemon.rip.models import RipProgress
from amphigory_daemon.rip.progress import ProgressTracker
from amphigory_protocol.disk_full import DISK_FULL, says_disk_full

ProgressCallback = Callable[[RipProgress], Awaitable[None] | None]
HEARTBEAT_SECONDS = 1.0
DISC_EJECTED = "disc_ejected"


class Reporter:
    """Collects progress from a tool's output (sync, per line) and hands it to the caller's callback (from the
    runner's watchdog poll, so the callback may be async)."""

    def __init__(self, on_progress: ProgressCallback | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._callback = on_progress
        self._clock = clock
        self.tracker = ProgressTracker(started=clock())
        self._changed = True
        self._last_sent = float("-inf")

    def update(self, fraction: float | None = None, bytes_written: int | None = None) -> None:
        self.tracker.update(self._clock(), fraction, bytes_written)
        self._changed = True

    async def flush(self, force: bool = False) -> None:
        """Send a report if something changed, or if a second passed since the last one."""
        now = self._clock()
        if not (force or self._changed or now - self._last_sent >= HEARTBEAT_SECONDS):
            return
        self._changed = False
        self._last_sent = now
        await self.send(self.tracker.update(now))

    async def finish(self) -> None:
        """The final 100 % report, once the file is verified."""
        self.tracker.update(self._clock())
        await self.send(self.tracker.snapshot(finished=True))

    async def send(self, progress: RipProgress) -> None:
        if self._callback is None:
            return
        result = self._callback(progress)
        if inspect.isawaitable(result):
            await result


def make_watchdog(reporter: Reporter, watched: Iterable[Path],
                  extra: Callable[[], None] | None = None) -> Callable[[], Awaitable[str | None]]:
    """A runner watchdog: reports progress, runs ``extra`` (e.g. measuring a growing file) and stops the tool with
    `DISC_EJECTED` when a watched path disappears."""
    paths = tuple(watched)

    async def watchdog() -> str | None:
        if extra is not None:
            extra()
        await reporter.flush()
        return DISC_EJECTED if source_missing(paths) else None

    return watchdog


def source_missing(paths: Iterable[Path]) -> bool:
    """True when any of ``paths`` no longer exists (an image removed from its drive folder, a drive emptied)."""
    return any(not os.path.exists(p) for p in paths)


def classify_failure(stderr: Iterable[str]) -> str | None:
    """``disk_full`` when a tool's stderr says the disk is full, else None."""
    return DISK_FULL if says_disk_full(stderr) else None
