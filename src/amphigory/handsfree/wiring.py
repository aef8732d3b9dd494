"""When `HandsFree.disc_ready` runs: the daemons' events that mean "a stored disc is in a drive".

Without identification: an automatic scan completed (a new disc, now stored), or a known disc went in (no scan
needed). With identification in the webapp (`app.state.identification`, looking discs up after each scan),
`DiscEvents.follow(identification)` registers `after_identification`: a new disc is then ready once it is
identified, not once scanned, and a disc that identification (or a person's pick) names files its held rips.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from typing import Any

from amphigory.config import WebappSettings
from amphigory.handsfree.flow import HandsFree
from amphigory.library.filing import Filer
from amphigory.notify import Notifier
from amphigory.settings import SettingsStore
from amphigory.tasks import TaskProblem, TaskService
from amphigory_protocol.messages import Event, EventName

log = logging.getLogger(__name__)

# A drive holding a disc with nothing running on it (a rip or scan in progress is left to finish).
IDLE_WITH_DISC = ("disc_inserted", "scanned")


class DiscEvents:
    """A `ConnectionManager` event listener (registered after the task service's, so the disc is stored)."""

    def __init__(self, handsfree: HandsFree, tasks: TaskService) -> None:
        self.handsfree = handsfree
        self.tasks = tasks
        self._awaiting: set[tuple[str, str]] = set()  # (drive, fingerprint): new discs in rip mode, until scanned
        self._jobs: set[asyncio.Task[Any]] = set()
        self.ready_after_identification = False

    def follow(self, identification: Any) -> None:
        """Wait for identification (an object with `add_listener(callback(fingerprint, identification))`)."""
        identification.add_listener(self.after_identification)
        self.ready_after_identification = True

    async def __call__(self, daemon_id: str, event: Event) -> None:
        data, drive_id = event.data, event.drive_id
        if not drive_id:
            return
        if event.event is EventName.DISC_EJECTED:
            self._awaiting = {a for a in self._awaiting if a[0] != drive_id}
            await self.handsfree.forget_drive(drive_id)
            await self.handsfree.publish()
            return
        fingerprint = data.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            return
        if event.event is EventName.DISC_INSERTED:
            if await self.handsfree.discs.get(fingerprint) is not None:
                await self.handsfree.disc_ready(daemon_id, drive_id, fingerprint)
            elif self.handsfree.settings().on_insert_for(drive_id) == "rip":
                self._awaiting.add((drive_id, fingerprint))
                if not self.tasks.auto_scan:  # rip mode needs the scan even where automatic scans are off
                    self._spawn(self._scan(drive_id))
        elif event.event is EventName.SCAN_COMPLETED and not self.ready_after_identification:
            awaited = (drive_id, fingerprint) in self._awaiting
            self._awaiting.discard((drive_id, fingerprint))
            if awaited or await self._automatic(data.get("task_id")):
                await self.handsfree.disc_ready(daemon_id, drive_id, fingerprint)

    async def on_connection(self, daemon_id: str, connected: bool) -> None:
        """A manager connection listener. A daemon (re)connected: a stored disc sitting idle in one of its drives
        that hands-free mode has not looked at since the webapp started (the webapp restarted during its countdown)
        is ready now. A new disc that went in meanwhile comes through the daemon's replayed events instead."""
        if not connected:
            return
        for drive in self.tasks.manager.drives():
            fingerprint, drive_id = drive.get("fingerprint"), drive["drive_id"]
            if (isinstance(fingerprint, str) and fingerprint and drive.get("state") in IDLE_WITH_DISC
                    and self.tasks.manager.daemon_of(drive_id) == daemon_id
                    and self.handsfree.first_sight(drive_id, fingerprint)):
                await self.handsfree.disc_ready(daemon_id, drive_id, fingerprint)

    def stop(self) -> None:
        for job in list(self._jobs):
            job.cancel()

    async def _scan(self, drive_id: str) -> None:
        try:
            await self.tasks.scan(drive_id)
        except TaskProblem as problem:
            log.info("hands-free scan of %s: %s", drive_id, problem.message)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        job = asyncio.ensure_future(coro)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    async def _automatic(self, task_id: Any) -> bool:
        """Only a scan nobody asked for leads to a rip (a person's rescan of a disc does not)."""
        task = await self.tasks.get(task_id) if isinstance(task_id, str) else None
        return task is not None and bool(task.params.get("automatic"))

    async def after_identification(self, fingerprint: str, identification: Any) -> None:
        """An identification listener: a disc now named files what was held; the disc is ready wherever it is."""
        await self.handsfree.file_held(fingerprint)
        for drive in self.tasks.manager.drives():
            if drive.get("fingerprint") == fingerprint:
                daemon_id = self.tasks.manager.daemon_of(drive["drive_id"])
                if daemon_id is not None:
                    await self.handsfree.disc_ready(daemon_id, drive["drive_id"], fingerprint)


async def start(app: Any, stack: AsyncExitStack, store: SettingsStore, tasks: TaskService, filer: Filer) -> HandsFree:
    """Hands-free mode, notifications and live settings, wired into a starting app (`app.state.handsfree`,
    `app.state.notifier`); undone by `stack`."""
    manager = tasks.manager
    notifier = Notifier(store.current, manager.broadcast_browser)
    handsfree = HandsFree(store.current, tasks.discs, tasks, filer.file, notifier)
    tasks.add_finish_listener(handsfree.on_task_finished)
    events = DiscEvents(handsfree, tasks)
    manager.add_listener(events)
    stack.callback(manager.remove_listener, events)
    manager.add_connection_listener(events.on_connection)
    stack.callback(manager.remove_connection_listener, events.on_connection)
    stack.callback(events.stop)
    stack.push_async_callback(handsfree.stop)

    async def settings_changed(settings: WebappSettings) -> None:
        app.state.settings = settings
        tasks.auto_scan = settings.auto_scan
        filer.mode = settings.transcode
        await handsfree.publish()  # the dashboards show each drive's on-insert rule

    store.add_listener(settings_changed)
    app.state.notifier = notifier
    app.state.handsfree = handsfree
    app.state.disc_events = events
    identification = getattr(app.state, "identification", None)
    if identification is not None and store.current().identify:
        events.follow(identification)  # identification runs after each scan: rip once it has answered
    return handsfree
