"""The daemon: backends -> one `OpticalDrive` per drive -> events; the webapp's requests; `run(settings)`.

Every drive has a slot (`daemon.slots`): its model, the backend it lives in, the path its disc is read from, and
the work running on it (identify, scan, a queue of rips). All changes to a drive happen under that drive's lock,
each followed by its events, so the events of one drive leave in the order the model changed. Everything slow
(identify, scan, rip, eject) runs in its own task and, when it blocks, in a thread: a slow drive never holds up
another drive or the WebSocket. The work itself is in `daemon.drives` (insert/eject), `daemon.scanning`,
`daemon.ripping` and `daemon.handlers` (request params); this module wires it together.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from amphigory_daemon.backends.base import BackendError, DriveBackend
from amphigory_daemon.config import DaemonSettings, daemon_version
from amphigory_daemon.daemon import drives, ripping, scanning
from amphigory_daemon.daemon.handlers import RequestFailed, rip_of, slot_of, task_id_of
from amphigory_daemon.daemon.ripping import PROGRESS_INTERVAL
from amphigory_daemon.daemon.slots import (
    AsyncScanFn,
    Context,
    EventClient,
    Handler,
    IdentifyFn,
    Identity,
    RipFn,
    ScanFn,
    ScanProgress,
    Slot,
    brief,
    log,
)
from amphigory_daemon.drive import OpticalDrive
from amphigory_protocol.messages import Hello

__all__ = ["PROGRESS_INTERVAL", "Daemon", "EventClient", "Handler", "IdentifyFn", "Identity", "RequestFailed",
           "RipFn", "ScanFn", "run"]


def _default_identify(path: str) -> Identity:
    from amphigory_daemon.fingerprint import identify

    return identify(path)


async def _default_scanner(path: str, progress: ScanProgress) -> Any:
    from amphigory_daemon.scan.select import scan_disc

    return await scan_disc(path, progress)


def _as_async(scanner: ScanFn | AsyncScanFn) -> AsyncScanFn:
    """A scanner as the daemon calls it: an async one (path, progress) as it is, a plain one in a thread."""
    if inspect.iscoroutinefunction(scanner):
        return cast(AsyncScanFn, scanner)
    plain = cast(ScanFn, scanner)

    async def scan(path: str, progress: ScanProgress) -> Any:
        return await asyncio.to_thread(plain, path)

    return scan


async def _default_ripper(job: Any, on_progress: Callable[[Any], None]) -> Any:
    from amphigory_daemon.rip import rip_title

    return await rip_title(job, on_progress)


class Daemon:
    """Drives from the backends, kept in `OpticalDrive`s, reported through an `EventClient`."""

    def __init__(
        self,
        daemon_id: str,
        backends: Sequence[DriveBackend],
        *,
        output_dir: Path = Path("data/ripped"),
        identify: IdentifyFn | None = None,
        scanner: ScanFn | AsyncScanFn | None = None,
        ripper: RipFn | None = None,
    ) -> None:
        self.daemon_id = daemon_id
        self.backends = list(backends)
        self._ctx = Context(identify=identify or _default_identify,
                            scanner=_as_async(scanner) if scanner else _default_scanner,
                            ripper=ripper or _default_ripper, output_dir=output_dir)
        self._slots: dict[str, Slot] = {}
        for backend in self.backends:
            for device in backend.drives():
                drive = OpticalDrive(daemon_id=daemon_id, device=device)
                if drive.drive_id in self._slots:
                    raise BackendError(f"two drives have the id {drive.drive_id!r}")
                self._slots[drive.drive_id] = Slot(drive, backend)

    @property
    def output_dir(self) -> Path:
        """Where rips are written."""
        return self._ctx.output_dir

    @output_dir.setter
    def output_dir(self, value: Path) -> None:
        self._ctx.output_dir = value

    # -- wiring ------------------------------------------------------------------------------------------------

    def attach(self, client: EventClient) -> None:
        """Send events through `client` and answer its requests."""
        self._ctx.client = client
        handlers: dict[str, Handler] = {
            "get_drives": self.get_drives,
            "get_drive_status": self.get_drive_status,
            "scan": self.scan,
            "rip": self.rip,
            "cancel": self.cancel,
            "eject": self.eject,
        }
        for method, handler in handlers.items():
            client.on_request(method, handler)

    def hello(self) -> Hello:
        """The hello of every (re)connection: who we are and every drive (without scan results, to stay small)."""
        drives = [brief(s) for s in self._slots.values()]
        return Hello(daemon_id=self.daemon_id, version=daemon_version(), drives=drives)

    @property
    def drives(self) -> list[OpticalDrive]:
        return [s.drive for s in self._slots.values()]

    async def start(self) -> None:
        """Start one event worker per drive, then the backends (which report the discs already in)."""
        for slot in self._slots.values():
            self._ctx.spawn(drives.drive_worker(self._ctx, slot))
        for backend in self.backends:
            await backend.start(functools.partial(drives.route_event, self._slots, self.daemon_id, backend))

    async def stop(self) -> None:
        """Stop the backends and every task (a running rip's ripper sees its task cancelled)."""
        for backend in self.backends:
            with contextlib.suppress(Exception):
                await backend.stop()
        tasks = list(self._ctx.tasks)
        for slot in self._slots.values():
            for t in (slot.identify_task, slot.scan_task, slot.rip_worker, *(r.task for r in slot.rips)):
                if t is not None:
                    tasks.append(t)
            if slot.rip_current is not None and slot.rip_current.task is not None:
                tasks.append(slot.rip_current.task)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- requests (internals.md "Requests the daemon answers") ----------------------------------------------------

    def _slot(self, params: dict[str, Any]) -> Slot:
        return slot_of(self._slots, self.daemon_id, params)

    async def get_drives(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"drives": [s.drive.to_dict() for s in self._slots.values()]}

    async def get_drive_status(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._slot(params).drive.to_dict()

    async def eject(self, params: dict[str, Any]) -> dict[str, Any]:
        return await drives.eject(self._ctx, self._slot(params))

    async def cancel(self, params: dict[str, Any]) -> dict[str, Any]:
        task_id = task_id_of(params)
        for slot in self._slots.values():
            async with slot.lock:
                if (await scanning.cancel_scan(self._ctx, slot, task_id)
                        or await ripping.cancel_rip(self._ctx, slot, task_id)):
                    return {"cancelled": True}
        return {"cancelled": False}

    async def scan(self, params: dict[str, Any]) -> dict[str, Any]:
        slot = self._slot(params)
        return await scanning.start_scan(self._ctx, slot, task_id_of(params))

    async def rip(self, params: dict[str, Any]) -> dict[str, Any]:
        slot = self._slot(params)
        return await ripping.queue_rip(self._ctx, slot, rip_of(params, slot, task_id_of(params)))


async def run(settings: DaemonSettings, stop: asyncio.Event) -> None:
    """Run a daemon with `settings` until `stop` is set: backends, drives, the WebSocket client."""
    from amphigory_daemon.backends import select_backends
    from amphigory_daemon.rip.output import sweep_stale_partials
    from amphigory_daemon.websocket import WebAppClient

    backends = await asyncio.to_thread(select_backends, settings)
    for leftover in await asyncio.to_thread(sweep_stale_partials, settings.ripped_dir):
        log.info("removed %s, left by a rip whose process died", leftover)
    daemon = Daemon(settings.daemon_id, backends, output_dir=settings.ripped_dir)
    client = WebAppClient(settings.webapp_url, token=settings.token, daemon_id=settings.daemon_id,
                          hello=daemon.hello)
    daemon.attach(client)
    log.info("daemon %s: %d drive(s) on %s", settings.daemon_id, len(daemon.drives),
             ", ".join(b.name for b in backends) or "no backend")
    await daemon.start()
    client_task = asyncio.ensure_future(client.run())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([client_task, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        await daemon.stop()
        with contextlib.suppress(Exception):
            await client.stop()
        client_task.cancel()
        await asyncio.gather(client_task, stopper, return_exceptions=True)
    if client_task.done() and not client_task.cancelled() and client_task.exception() is not None:
        raise client_task.exception()  # type: ignore[misc]
