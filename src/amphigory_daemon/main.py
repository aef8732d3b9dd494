"""The daemon: backends -> one `OpticalDrive` per drive -> events; the webapp's requests; `run(settings)`.

Every drive has a `_Slot`: its model, the backend it lives in, the path its disc is read from, and the work
running on it (identify, scan, a queue of rips). All changes to a drive happen under that drive's lock, each
followed by its events, so the events of one drive leave in the order the model changed. Everything slow
(identify, scan, rip, eject) runs in its own task and, when it blocks, in a thread: a slow drive never holds up
another drive or the WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, cast, get_args

from pydantic import ValidationError

from amphigory_daemon.backends.base import BackendError, DriveBackend, DriveEvent
from amphigory_daemon.config import DaemonSettings
from amphigory_daemon.drive import DriveState, IllegalTransition, OpticalDrive
from amphigory_protocol.disc import DiscType, Title
from amphigory_protocol.messages import EventName, Hello, RequestError

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # seconds between rip_progress events of one rip (the last one always goes)

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
ScanFn = Callable[[str], Any]
RipFn = Callable[[Any, Callable[[Any], None]], Awaitable[Any]]


class RequestFailed(RequestError):
    """A request the daemon refuses, with the error code the webapp gets back (one of internals.md's request
    errors)."""


def _fail(code: str, message: str) -> RequestFailed:
    return RequestFailed(code, message)


@dataclass
class _Rip:
    task_id: str
    fingerprint: str
    title: Title
    disc_title: str
    output_name: str
    task: asyncio.Task[None] | None = None
    ended: bool = False
    last_percent: float = -1.0  # the last rip_progress sent
    last_progress: Any = None  # the ripper's last report (sent or not)


@dataclass
class _Slot:
    drive: OpticalDrive
    backend: DriveBackend
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    events: asyncio.Queue[DriveEvent] = field(default_factory=asyncio.Queue)
    media_path: str | None = None
    generation: int = 0  # bumped on every insert/eject, so late results of an old disc are dropped
    public_ids: dict[str, Any] = field(default_factory=dict)
    identify_task: asyncio.Task[None] | None = None
    scan_task: asyncio.Task[None] | None = None
    rips: deque[_Rip] = field(default_factory=deque)
    rip_current: _Rip | None = None
    rip_worker: asyncio.Task[None] | None = None


def _version() -> str:
    try:
        return metadata.version("amphigory")
    except metadata.PackageNotFoundError:
        return "0"


def _default_identify(path: str) -> Identity:
    from amphigory_daemon.fingerprint import identify

    return identify(path)


def _default_scanner(path: str) -> Any:
    from amphigory_daemon.scan.native import scan_path

    return scan_path(path)


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
        scanner: ScanFn | None = None,
        ripper: RipFn | None = None,
    ) -> None:
        self.daemon_id = daemon_id
        self.backends = list(backends)
        self.output_dir = output_dir
        self._identify = identify or _default_identify
        self._scanner: ScanFn = scanner or _default_scanner
        self._ripper: RipFn = ripper or _default_ripper
        self._client: EventClient | None = None
        self._slots: dict[str, _Slot] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        for backend in self.backends:
            for device in backend.drives():
                drive = OpticalDrive(daemon_id=daemon_id, device=device)
                if drive.drive_id in self._slots:
                    raise BackendError(f"two drives have the id {drive.drive_id!r}")
                self._slots[drive.drive_id] = _Slot(drive, backend)

    # -- wiring ------------------------------------------------------------------------------------------------

    def attach(self, client: EventClient) -> None:
        """Send events through `client` and answer its requests."""
        self._client = client
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
        drives = [self._brief(s) for s in self._slots.values()]
        return Hello(daemon_id=self.daemon_id, version=_version(), drives=drives)

    @property
    def drives(self) -> list[OpticalDrive]:
        return [s.drive for s in self._slots.values()]

    async def start(self) -> None:
        """Start one event worker per drive, then the backends (which report the discs already in)."""
        for slot in self._slots.values():
            self._spawn(self._drive_worker(slot))
        for backend in self.backends:
            await backend.start(functools.partial(self._on_backend_event, backend))

    async def stop(self) -> None:
        """Stop the backends and every task (a running rip's ripper sees its task cancelled)."""
        for backend in self.backends:
            with contextlib.suppress(Exception):
                await backend.stop()
        tasks = list(self._tasks)
        for slot in self._slots.values():
            for t in (slot.identify_task, slot.scan_task, slot.rip_worker, *(r.task for r in slot.rips)):
                if t is not None:
                    tasks.append(t)
            if slot.rip_current is not None and slot.rip_current.task is not None:
                tasks.append(slot.rip_current.task)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("daemon task failed", exc_info=task.exception())

    def _on_backend_event(self, backend: DriveBackend, event: DriveEvent) -> None:
        slot = self._slots.get(OpticalDrive(daemon_id=self.daemon_id, device=event.device).drive_id)
        if slot is None or slot.backend is not backend:
            log.warning("event for unknown drive %s from %s backend", event.device, backend.name)
            return
        slot.events.put_nowait(event)

    async def _drive_worker(self, slot: _Slot) -> None:
        """One drive's backend events, in order (identify runs beside it, so an eject is never held up)."""
        while True:
            event = await slot.events.get()
            try:
                if event.kind == "inserted":
                    await self._inserted(slot, event)
                elif event.kind == "ejected":
                    await self._ejected(slot)
                else:
                    await self._conflict(slot, event)
            except Exception:
                log.exception("drive %s: handling %s failed", slot.drive.drive_id, event.kind)

    # -- events ------------------------------------------------------------------------------------------------

    async def _emit(self, slot: _Slot, event: EventName, data: dict[str, Any]) -> None:
        if self._client is None:
            return
        payload = {**data, "drive": self._brief(slot)}
        await self._client.emit(event, slot.drive.drive_id, payload)

    @staticmethod
    def _brief(slot: _Slot) -> dict[str, Any]:
        d = slot.drive.to_dict()
        d.pop("scan_result", None)
        return d

    # -- insert / identify / eject / conflict ------------------------------------------------------------------

    async def _inserted(self, slot: _Slot, event: DriveEvent) -> None:
        if event.path is None:
            return
        if slot.drive.state is not DriveState.EMPTY:
            await self._ejected(slot)
        async with slot.lock:
            slot.generation += 1
            slot.media_path = event.path
            slot.public_ids = {}
            slot.drive.insert_disc(event.volume_name or "", event.disc_type or "")
            slot.identify_task = self._spawn(self._identify_disc(slot, event.path, slot.generation))

    async def _identify_disc(self, slot: _Slot, path: str, generation: int) -> None:
        error: dict[str, str] | None = None
        identity: Identity | None = None
        try:
            identity = await asyncio.to_thread(self._identify, path)
        except Exception as exc:  # an unreadable disc is still a disc in the drive: say so
            log.warning("drive %s: cannot identify %s: %s", slot.drive.drive_id, path, exc)
            error = {"code": "unreadable", "message": str(exc)}
        async with slot.lock:
            if slot.generation != generation:
                return
            slot.identify_task = None
            data: dict[str, Any]
            if identity is not None:
                slot.drive.disc_volume = identity.volume_name
                slot.drive.disc_type = identity.disc_type
                slot.drive.set_fingerprint(identity.fingerprint)
                ids = identity.public_ids
                slot.public_ids = ids.model_dump() if hasattr(ids, "model_dump") else dict(ids or {})
                data = {"fingerprint": identity.fingerprint, "disc_type": identity.disc_type,
                        "volume_name": identity.volume_name, "public_ids": slot.public_ids}
            else:
                data = {"fingerprint": None, "disc_type": slot.drive.disc_type or None,
                        "volume_name": slot.drive.disc_volume or None, "public_ids": {}, "error": error}
            await self._emit(slot, EventName.DISC_INSERTED, data)
            await self._emit(slot, EventName.DRIVE_STATE_CHANGED, {})

    async def _ejected(self, slot: _Slot) -> None:
        async with slot.lock:
            if slot.drive.state is DriveState.EMPTY and slot.media_path is None:
                return
            slot.generation += 1
            if slot.identify_task is not None:
                slot.identify_task.cancel()
                slot.identify_task = None
            await self._end_scan(slot, "disc_ejected", "the disc was ejected")
            await self._end_rips(slot, "disc_ejected", "the disc was ejected")
            slot.media_path = None
            slot.public_ids = {}
            slot.drive.eject_disc()
            await self._emit(slot, EventName.DISC_EJECTED, {})

    async def _conflict(self, slot: _Slot, event: DriveEvent) -> None:
        log.warning("drive %s: %s", slot.drive.drive_id, event.message)
        async with slot.lock:
            await self._emit(slot, EventName.DRIVE_STATE_CHANGED,
                             {"warning": {"code": "conflict", "message": event.message}})

    # -- requests ----------------------------------------------------------------------------------------------

    def _slot(self, params: dict[str, Any]) -> _Slot:
        drive_id = params.get("drive_id")
        if not isinstance(drive_id, str):
            raise _fail("invalid_params", "drive_id (a string) is required")
        slot = self._slots.get(drive_id)
        if slot is None:
            raise _fail("unknown_drive", f"no drive {drive_id!r} on daemon {self.daemon_id!r}")
        return slot

    @staticmethod
    def _task_id(params: dict[str, Any]) -> str:
        task_id = params.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise _fail("invalid_params", "task_id (a non-empty string) is required")
        return task_id

    async def get_drives(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"drives": [s.drive.to_dict() for s in self._slots.values()]}

    async def get_drive_status(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._slot(params).drive.to_dict()

    async def eject(self, params: dict[str, Any]) -> dict[str, Any]:
        slot = self._slot(params)
        if slot.drive.state is DriveState.EMPTY:
            raise _fail("no_disc", f"drive {slot.drive.drive_id} is empty")
        try:
            await slot.backend.eject(slot.drive.device)
        except BackendError as exc:
            raise _fail("eject_failed", str(exc)) from exc
        await self._ejected(slot)
        return {"ejected": True}

    async def cancel(self, params: dict[str, Any]) -> dict[str, Any]:
        task_id = self._task_id(params)
        for slot in self._slots.values():
            async with slot.lock:
                if slot.drive.scan_task_id == task_id and slot.scan_task is not None:
                    await self._end_scan(slot, "cancelled", "the scan was cancelled")
                    return {"cancelled": True}
                for rip in [slot.rip_current, *slot.rips]:
                    if rip is not None and rip.task_id == task_id and not rip.ended:
                        await self._end_rip(slot, rip, "cancelled", "the rip was cancelled")
                        return {"cancelled": True}
        return {"cancelled": False}

    # -- scan --------------------------------------------------------------------------------------------------

    async def scan(self, params: dict[str, Any]) -> dict[str, Any]:
        slot = self._slot(params)
        task_id = self._task_id(params)
        scanner = self._scanner
        async with slot.lock:
            drive = slot.drive
            if drive.state is DriveState.EMPTY or slot.media_path is None:
                raise _fail("no_disc", f"drive {drive.drive_id} is empty")
            if slot.identify_task is not None:
                raise _fail("busy", f"drive {drive.drive_id} is still identifying its disc")
            try:
                drive.start_scan(task_id)
            except IllegalTransition as exc:
                raise _fail("busy", str(exc)) from exc
            fingerprint = drive.fingerprint
            await self._emit(slot, EventName.SCAN_STARTED, {"task_id": task_id, "fingerprint": fingerprint})
            await self._emit(slot, EventName.SCAN_PROGRESS,
                             {"task_id": task_id, "fingerprint": fingerprint, "percent": 0, "stage": "reading"})
            slot.scan_task = self._spawn(self._run_scan(slot, scanner, slot.media_path, task_id, slot.generation))
        return {"accepted": True}

    async def _run_scan(self, slot: _Slot, scanner: ScanFn, path: str, task_id: str, generation: int) -> None:
        try:
            raw = await asyncio.to_thread(scanner, path)
            result = raw.model_dump(mode="json") if hasattr(raw, "model_dump") else dict(raw)
            error = None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            result, error = None, {"code": "scan_failed", "message": str(exc) or type(exc).__name__}
        async with slot.lock:
            if slot.generation != generation or slot.drive.scan_task_id != task_id or slot.scan_task is None:
                return
            slot.scan_task = None
            fingerprint = (result or {}).get("fingerprint") or slot.drive.fingerprint
            if result is not None:
                slot.drive.complete_scan(result)
                await self._emit(slot, EventName.SCAN_COMPLETED,
                                 {"task_id": task_id, "fingerprint": fingerprint, "result": result})
            else:
                assert error is not None
                slot.drive.fail_scan(error["message"])
                await self._emit(slot, EventName.SCAN_FAILED,
                                 {"task_id": task_id, "fingerprint": fingerprint, "error": error})

    async def _end_scan(self, slot: _Slot, code: str, message: str) -> None:
        """Stop the running scan (caller holds the lock) and report it failed with `code`."""
        if slot.scan_task is None or slot.drive.state is not DriveState.SCANNING:
            return
        slot.scan_task.cancel()
        slot.scan_task = None
        task_id = slot.drive.scan_task_id
        slot.drive.fail_scan(message)
        await self._emit(slot, EventName.SCAN_FAILED, {"task_id": task_id, "fingerprint": slot.drive.fingerprint,
                                                       "error": {"code": code, "message": message}})

    # -- rip ---------------------------------------------------------------------------------------------------

    async def rip(self, params: dict[str, Any]) -> dict[str, Any]:
        slot = self._slot(params)
        task_id = self._task_id(params)
        fingerprint = params.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise _fail("invalid_params", "fingerprint (a non-empty string) is required")
        try:
            title = Title.model_validate(params.get("title"))
        except ValidationError as exc:
            raise _fail("invalid_params", f"title: {exc.errors()[0]['msg']}") from exc
        disc_title = str(params.get("disc_title") or slot.drive.disc_volume or "disc")
        output_name = str(params.get("output_name") or f"title_{title.number:02d}")
        async with slot.lock:
            if slot.drive.state is DriveState.EMPTY:
                raise _fail("no_disc", f"drive {slot.drive.drive_id} is empty")
            if slot.drive.fingerprint != fingerprint:
                raise _fail("fingerprint_mismatch", f"drive {slot.drive.drive_id} holds {slot.drive.fingerprint}, "
                                                    f"not {fingerprint}")
            slot.rips.append(_Rip(task_id, fingerprint, title, disc_title, output_name))
            queued = len(slot.rips) + (1 if slot.rip_current is not None else 0)
            if slot.rip_worker is None:
                slot.rip_worker = self._spawn(self._rip_worker(slot))
        return {"accepted": True, "queued": queued}

    async def _rip_worker(self, slot: _Slot) -> None:
        """This drive's rips, one after another (other drives have their own worker)."""
        try:
            while True:
                async with slot.lock:
                    if not slot.rips:
                        return
                    rip = slot.rips.popleft()
                    slot.rip_current = rip
                if slot.scan_task is not None:  # a scan started before this rip: let it finish first
                    await asyncio.wait([slot.scan_task])
                rip.task = asyncio.ensure_future(self._run_rip(slot, rip))
                await asyncio.wait([rip.task])
                slot.rip_current = None
        finally:
            slot.rip_worker = None
            slot.rip_current = None

    async def _run_rip(self, slot: _Slot, rip: _Rip) -> None:
        from amphigory_daemon.rip import RipJob

        ripper = self._ripper
        async with slot.lock:
            if rip.ended:
                return
            drive = slot.drive
            if drive.fingerprint != rip.fingerprint or slot.media_path is None:
                return await self._end_rip(slot, rip, "fingerprint_mismatch",
                                           f"the drive holds {drive.fingerprint}, not {rip.fingerprint}")
            try:
                drive.start_rip(rip.task_id, rip.title.number)
            except IllegalTransition as exc:
                return await self._end_rip(slot, rip, "invalid_job", str(exc))
            disc_type = drive.disc_type
            if disc_type not in get_args(DiscType):
                return await self._end_rip(slot, rip, "invalid_job", f"cannot rip a disc of type {disc_type!r}")
            job = RipJob(source=Path(slot.media_path), disc_type=cast(DiscType, disc_type), title=rip.title,
                          fingerprint=rip.fingerprint, output_root=self.output_dir, disc_title=rip.disc_title,
                          output_name=rip.output_name, device=slot.media_path if slot.media_path.startswith("/dev/")
                          else None)
            await self._emit(slot, EventName.RIP_STARTED, self._rip_data(
                rip, path=str(_planned_path(self.output_dir, rip, drive.disc_type or ""))))
        loop = asyncio.get_running_loop()
        last = [0.0]

        def on_progress(p: Any) -> None:  # the ripper may call this on the loop or from a thread
            rip.last_progress = p
            now = time.monotonic()
            if now - last[0] < PROGRESS_INTERVAL and p.percent < 100:
                return
            last[0] = now
            loop.call_soon_threadsafe(lambda: self._spawn(self._rip_progress(slot, rip, p)))

        try:
            outcome = await ripper(job, on_progress)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            code = getattr(exc, "code", "tool_failed")
            async with slot.lock:
                if not rip.ended:
                    await self._end_rip(slot, rip, str(code), getattr(exc, "message", str(exc)))
            return
        async with slot.lock:
            if rip.ended:
                return
            if rip.last_percent < 100:
                # Progress reports are sent from scheduled callbacks that may not have run yet: whatever the
                # ripper reported, the browser sees the rip reach 100 % before it is complete.
                last = rip.last_progress
                await self._send_progress(slot, rip, 100.0, outcome.size_bytes,
                                          getattr(last, "speed_bps", 0.0), 0.0)
            rip.ended = True
            if slot.drive.state is DriveState.RIPPING and slot.drive.rip_task_id == rip.task_id:
                slot.drive.complete_rip()
            await self._emit(slot, EventName.RIP_COMPLETED, self._rip_data(
                rip, path=str(outcome.path), size_bytes=outcome.size_bytes,
                duration_seconds=outcome.duration_seconds, sha256=outcome.sha256))

    async def _rip_progress(self, slot: _Slot, rip: _Rip, p: Any) -> None:
        async with slot.lock:
            if rip.ended or slot.drive.rip_task_id != rip.task_id:
                return
            await self._send_progress(slot, rip, float(p.percent), p.bytes_written, p.speed_bps, p.eta_seconds)

    async def _send_progress(self, slot: _Slot, rip: _Rip, percent: float, written: int, speed: float,
                             eta: float | None) -> None:
        """One rip_progress event (caller holds the lock)."""
        if slot.drive.state is DriveState.RIPPING and slot.drive.rip_task_id == rip.task_id:
            slot.drive.update_rip(int(percent))
        rip.last_percent = percent
        await self._emit(slot, EventName.RIP_PROGRESS, self._rip_data(
            rip, percent=round(percent, 1), bytes=written, speed_bps=speed, eta_seconds=eta))

    async def _end_rip(self, slot: _Slot, rip: _Rip, code: str, message: str) -> None:
        """End one rip, running or queued (caller holds the lock), and report it failed with `code`."""
        if rip.ended:
            return
        rip.ended = True
        if rip in slot.rips:
            slot.rips.remove(rip)
        if rip.task is not None and asyncio.current_task() is not rip.task:
            rip.task.cancel()
        if slot.drive.state is DriveState.RIPPING and slot.drive.rip_task_id == rip.task_id:
            slot.drive.fail_rip(message)
        await self._emit(slot, EventName.RIP_FAILED, self._rip_data(rip, error={"code": code, "message": message}))

    async def _end_rips(self, slot: _Slot, code: str, message: str) -> None:
        for rip in [slot.rip_current, *list(slot.rips)]:
            if rip is not None:
                await self._end_rip(slot, rip, code, message)

    @staticmethod
    def _rip_data(rip: _Rip, **extra: Any) -> dict[str, Any]:
        return {"task_id": rip.task_id, "fingerprint": rip.fingerprint, "track_number": rip.title.number, **extra}


def _planned_path(root: Path, rip: _Rip, disc_type: str) -> Path:
    """Where the ripper will write (its own naming rules; it may add " (2)" when the name is taken)."""
    from amphigory_daemon.rip.naming import final_name, safe_name

    ext = ".flac" if disc_type == "cd" else ".mkv"
    return root / safe_name(rip.disc_title, "disc") / final_name(rip.output_name, ext)


async def run(settings: DaemonSettings, stop: asyncio.Event) -> None:
    """Run a daemon with `settings` until `stop` is set: backends, drives, the WebSocket client."""
    from amphigory_daemon.backends import select_backends
    from amphigory_daemon.websocket import WebAppClient

    backends = await asyncio.to_thread(select_backends, settings)
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
