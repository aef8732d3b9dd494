"""A drive's slot (its model, backend, disc path and running work) and the `Context` all drive work shares.

All changes to a slot happen under its lock, each followed by its events, so the events of one drive leave in the
order the model changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from amphigory_daemon.backends.base import DriveBackend, DriveEvent
from amphigory_daemon.daemon.activity import ActivityLog
from amphigory_daemon.drive import OpticalDrive
from amphigory_protocol.disc import Title
from amphigory_protocol.messages import EventName

log = logging.getLogger("amphigory_daemon.main")  # one logger name for the whole daemon, as before the split

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class EventClient(Protocol):
    """What the daemon needs of `WebAppClient`: register request handlers, emit events."""

    def on_request(self, method: str, handler: Handler) -> None: ...

    async def emit(self, event: EventName | str, drive_id: str | None, data: dict[str, Any]) -> Any: ...


class Identity(Protocol):
    """What `fingerprint.identify` returns (`DiscIdentity`)."""

    @property
    def disc_type(self) -> str: ...
    @property
    def volume_name(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def public_ids(self) -> Any: ...


IdentifyFn = Callable[[str], Identity]
ScanFn = Callable[[str], Any]  # a plain scanner (tests inject one); run in a thread
ScanProgress = Callable[[float, str], None]
AsyncScanFn = Callable[[str, ScanProgress], Awaitable[Any]]  # what the daemon calls: path, progress -> result
RipFn = Callable[[Any, Callable[[Any], None]], Awaitable[Any]]


@dataclass
class Rip:
    """One rip request, queued or running on its drive."""

    task_id: str
    fingerprint: str
    title: Title
    disc_title: str
    output_name: str
    replaces: str | None = None  # a re-rip: the earlier rip of this title its file may replace
    task: asyncio.Task[None] | None = None
    ended: bool = False
    last_percent: float = -1.0  # the last rip_progress sent
    last_progress: Any = None  # the ripper's last report (sent or not)


@dataclass
class Slot:
    """One drive and everything running on it (identify, scan, a queue of rips)."""

    drive: OpticalDrive
    backend: DriveBackend
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    events: asyncio.Queue[DriveEvent] = field(default_factory=asyncio.Queue)
    media_path: str | None = None
    generation: int = 0  # bumped on every insert/eject, so late results of an old disc are dropped
    public_ids: dict[str, Any] = field(default_factory=dict)
    identify_task: asyncio.Task[None] | None = None
    scan_task: asyncio.Task[None] | None = None
    rips: deque[Rip] = field(default_factory=deque)
    rip_current: Rip | None = None
    rip_worker: asyncio.Task[None] | None = None


@dataclass
class Context:
    """What drive work shares: the injected disc tools, where rips go, where events go, the running tasks."""

    identify: IdentifyFn
    scanner: AsyncScanFn
    ripper: RipFn
    output_dir: Path
    client: EventClient | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    activity: ActivityLog = field(default_factory=ActivityLog)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run `coro` as a task kept until it ends (a failure is logged)."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("daemon task failed", exc_info=task.exception())

    async def emit(self, slot: Slot, event: EventName, data: dict[str, Any]) -> None:
        """Send `event` for the slot's drive, with the drive dict (no client yet: nothing goes)."""
        self.activity.report(event, slot.drive.device, data)
        if self.client is None:
            return
        payload = {**data, "drive": brief(slot)}
        await self.client.emit(event, slot.drive.drive_id, payload)


def brief(slot: Slot) -> dict[str, Any]:
    """The slot's drive dict without its scan result (events and hello stay small)."""
    d = slot.drive.to_dict()
    d.pop("scan_result", None)
    return d
