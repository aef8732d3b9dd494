"""`TaskService`: creates tasks, sends their requests to the daemon that owns the drive, and follows them to the end.

A task is created queued, its request sent (a refusal fails it with the reason and raises `TaskProblem`), and the
daemon's events (`TaskEvents`) move it on. When a daemon disconnects its unfinished tasks fail, and when the
webapp starts, tasks left unfinished by the previous run fail; both are beliefs that a later event overrides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, StoredDisc, StoredTrack, TrackUpdate
from amphigory.database import Database
from amphigory.link.connections import ConnectionManager
from amphigory.link.errors import DaemonNotConnected, DaemonRequestError
from amphigory.tasks.daemon_events import TaskEvents
from amphigory.tasks.models import (
    ACTIVE,
    WEBAPP,
    LocalRunner,
    RipListener,
    ScanListener,
    Task,
    TaskProblem,
    TaskStatus,
    TaskType,
    daemon_problem,
)
from amphigory.tasks.records import TaskRecords
from amphigory_protocol.disc import Title
from amphigory_protocol.messages import Event

log = logging.getLogger(__name__)


class TaskService:
    """Creates tasks, sends their requests through the `ConnectionManager`, and applies the daemons' events."""

    def __init__(
        self, db: Database, discs: DiscRepository, manager: ConnectionManager, request_timeout: float | None = None,
        auto_scan: bool = False,
    ) -> None:
        self.db = db
        self.discs = discs
        self.manager = manager
        self.request_timeout = request_timeout
        # Scan a disc the moment it goes in when its fingerprint is not stored yet (a known disc needs no scan).
        self.auto_scan = auto_scan
        self._running = False
        self._background: set[asyncio.Task[Any]] = set()
        self._rip_listeners: list[RipListener] = []
        self._scan_listeners: list[ScanListener] = []
        self._records = TaskRecords(db, discs, manager)
        self._events = TaskEvents(self._records, discs, self._rip_listeners, self._disc_inserted,
                                  self._scan_listeners)
        self.local: LocalRunner | None = None

    async def start(self) -> None:
        """Fail what the previous run left unfinished, then listen to the daemons."""
        # Jobs on the queue (filing, transcoding) outlive a restart: amphigory.jobs picks them up again.
        for task in await self._records.fail_where("status IN ('queued', 'running') AND id NOT IN "
                                                   "(SELECT task_id FROM jobs)", (), "webapp_restarted",
                                                   "webapp restarted during the task"):
            log.info("task %s failed: webapp restarted during it", task.id)
        if not self._running:
            self._running = True
            self.manager.add_listener(self.on_event)
            self.manager.add_connection_listener(self.on_connection)

    async def stop(self) -> None:
        """Stop applying events (the manager may outlive this service, e.g. the module-level one in tests)."""
        self._running = False
        for job in list(self._background):
            job.cancel()
        for name, callback in (("remove_listener", self.on_event),
                               ("remove_connection_listener", self.on_connection)):
            remove = getattr(self.manager, name, None)
            if remove is not None:
                remove(callback)

    # -- reading -----------------------------------------------------------------------------------------------

    async def get(self, task_id: str) -> Task | None:
        return await self._records.get(task_id)

    async def list_tasks(
        self, status: TaskStatus | None = None, drive_id: str | None = None, fingerprint: str | None = None,
        limit: int = 100, offset: int = 0,
    ) -> list[Task]:
        """Tasks, newest first, optionally only those with a status, on a drive or for a disc."""
        return await self._records.list_tasks(status, drive_id, fingerprint, limit, offset)

    # -- scans -------------------------------------------------------------------------------------------------

    async def scan(self, drive_id: str, retry_of: str | None = None) -> Task:
        """Ask the drive's daemon to scan the disc in it; the task runs until scan_completed/scan_failed.

        Asking again while that disc's scan is still under way (a second click, or the automatic scan of a new
        disc) returns the running task instead of a `busy` refusal."""
        drive, daemon_id = self._drive(drive_id)
        fingerprint = drive.get("fingerprint")
        running = await self._records.active_scan(drive_id, fingerprint)
        if running is not None and retry_of is None:
            return running
        task = await self._records.create("scan", daemon_id, drive_id, fingerprint, retry_of=retry_of)
        return await self._start_scan(task)

    async def _start_scan(self, task: Task) -> Task:
        await self._send(task, "scan", {"drive_id": task.drive_id, "task_id": task.id})
        return await self._records.mark_running(task)

    async def _disc_inserted(self, daemon_id: str, drive_id: str, fingerprint: str) -> None:
        """A new disc went in: with `auto_scan`, scan it at once unless it is known or already being scanned."""
        if not self.auto_scan:
            return
        if await self.discs.get(fingerprint) is not None or await self._records.active_scan(drive_id, fingerprint):
            return
        # The task row exists before this listener returns, so a Scan click right after reuses it.
        task = await self._records.create("scan", daemon_id, drive_id, fingerprint, params={"automatic": True})

        async def start() -> None:
            try:
                await self._start_scan(task)
            except TaskProblem as problem:  # the task already failed with the reason
                log.info("automatic scan of %s on %s: %s", fingerprint, drive_id, problem.message)

        job = asyncio.ensure_future(start())
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    # -- rips and ejects ---------------------------------------------------------------------------------------

    async def rip(
        self, drive_id: str, tracks: Sequence[int], fingerprint: str | None = None,
        names: dict[int, str] | None = None, retry_of: str | None = None, replace: bool = False,
    ) -> list[Task]:
        """Rip tracks of the stored disc `fingerprint` (default: the drive's), refusing if the drive holds another.

        A track ripped before is ripped again only with `replace` (a re-rip): the daemon then replaces its earlier
        file, once the new one is complete and verified; a failed re-rip leaves the earlier file as it was."""
        daemon_id, expected = self._disc_in_drive(drive_id, fingerprint)
        disc, titles = await self._rippable(expected, tracks)
        again = [n for n in tracks if (t := disc.track(n)) is not None and t.ripped_path and not replace]
        if again:
            raise TaskProblem("already_ripped", f"track {', '.join(map(str, again))} of {disc.title!r} is already "
                                                "ripped; ask for a re-rip (replace: true) to rip it again")
        if names:
            disc = await self.discs.update(
                expected, DiscUpdate(tracks=[TrackUpdate(number=n, name=v) for n, v in names.items() if n in tracks])
            ) or disc
        created: list[Task] = []
        for number in dict.fromkeys(tracks):
            track = disc.track(number)
            assert track is not None
            params: dict[str, Any] = {"output_name": output_name(disc, track)}
            if track.ripped_path:
                params["replace"] = True
                params["replaces"] = track.ripped_path  # the earlier rip, gone once the new one is done
            task = await self._records.create("rip", daemon_id, drive_id, expected, number, params, retry_of)
            created.append(task)
            wire = {"drive_id": drive_id, "task_id": task.id, "fingerprint": expected,
                    "title": titles[number].model_dump(mode="json"), "disc_title": disc.title,
                    "output_name": params["output_name"]}
            if track.ripped_path:
                wire["replace_path"] = track.ripped_path
            try:
                await self._send(task, "rip", wire)
            except TaskProblem as problem:
                problem.task_ids = [t.id for t in created]
                raise
            await self.discs.record_rip_queued(expected, number)
        return [await self._records.reload(t) for t in created]

    def _disc_in_drive(self, drive_id: str, fingerprint: str | None) -> tuple[str, str]:
        """The drive's daemon and the disc to rip, which must be the one in the drive."""
        drive, daemon_id = self._drive(drive_id)
        current = drive.get("fingerprint")
        expected = fingerprint or current
        if not expected:
            raise TaskProblem("no_disc", f"drive {drive_id} holds no identified disc")
        if current != expected:
            raise TaskProblem(
                "fingerprint_mismatch",
                f"the disc in drive {drive_id} is no longer {expected} (it now holds {current or 'no disc'}); "
                "nothing was ripped",
            )
        return daemon_id, expected

    async def _rippable(self, fingerprint: str, tracks: Sequence[int]) -> tuple[StoredDisc, dict[int, Title]]:
        """The stored disc and its scanned titles, once every track asked for is one of them."""
        disc = await self.discs.get(fingerprint)
        scan = await self.discs.scan_result(fingerprint)
        if disc is None or scan is None:
            raise TaskProblem("not_scanned", f"disc {fingerprint} has not been scanned yet: scan it before ripping")
        titles = {t.number: t for t in scan.titles}
        available = sorted(t.number for t in disc.tracks if t.present and t.number in titles)
        missing = [n for n in tracks if n not in available]
        if missing:
            listed = ", ".join(str(n) for n in available) or "none"
            raise TaskProblem(
                "unknown_track",
                f"disc {disc.title!r} ({fingerprint}) has no track {', '.join(map(str, missing))}; its tracks: "
                f"{listed}",
            )
        return disc, titles

    async def eject(self, drive_id: str) -> Task:
        drive, daemon_id = self._drive(drive_id)
        task = await self._records.create("eject", daemon_id, drive_id, drive.get("fingerprint"))
        result = await self._send(task, "eject", {"drive_id": drive_id})
        return await self._records.finish(task.id, daemon_id, "complete", result=_as_dict(result)) or task

    # -- cancel and retry --------------------------------------------------------------------------------------

    async def cancel(self, task_id: str) -> Task:
        """Cancel a queued or running task (the daemon is told; a daemon that is gone has nothing to stop)."""
        task = await self.get(task_id)
        if task is None:
            raise TaskProblem("unknown_task", f"no task {task_id}")
        if task.status not in ACTIVE:
            raise TaskProblem("not_cancellable", f"task {task_id} is {task.status}; only queued or running tasks "
                                                 "can be cancelled")
        if task.daemon_id == WEBAPP:
            if self.local is not None:
                await self.local.cancel(task_id)
        else:
            try:
                await self.manager.request(task.daemon_id, "cancel", {"task_id": task_id},
                                           timeout=self.request_timeout)
            except DaemonNotConnected:
                pass
            except DaemonRequestError as exc:
                raise daemon_problem(exc, task.daemon_id, "cancel", self.request_timeout) from None
        finished = await self._records.finish(task_id, task.daemon_id, "cancelled", error="cancelled by request",
                                              error_code="cancelled")
        if task.type == "rip" and task.fingerprint and task.track_number is not None:
            await self.discs.record_rip_failed(task.fingerprint, task.track_number, None)  # back to what it was
        return finished or await self._records.reload(task)

    async def retry(self, task_id: str) -> list[Task]:
        """Run a failed or cancelled scan, rip or filing again, as a new task (`retry_of` points at the old one)."""
        task = await self.get(task_id)
        if task is None:
            raise TaskProblem("unknown_task", f"no task {task_id}")
        if task.status not in ("failed", "cancelled") or task.type == "eject":
            raise TaskProblem("not_retryable", f"task {task_id} is a {task.status} {task.type}; only failed or "
                                               "cancelled scans, rips and filings can be retried")
        if task.type == "file" and self.local is not None:
            return [await self.local.retry(task)]
        if task.type == "scan":
            return [await self.scan(task.drive_id, retry_of=task.id)]
        assert task.track_number is not None
        return await self.rip(task.drive_id, [task.track_number], task.fingerprint, retry_of=task.id, replace=True)

    # -- daemon events -----------------------------------------------------------------------------------------

    async def on_event(self, daemon_id: str, event: Event) -> None:
        """Apply one daemon event (a manager listener): never raises, a bad event is logged and dropped."""
        if not self._running:
            return
        try:
            await self._events.apply(daemon_id, event)
        except Exception:
            log.exception("could not apply %s from daemon %s", event.event.value, daemon_id)

    async def on_connection(self, daemon_id: str, connected: bool) -> None:
        """A daemon that went away takes its unfinished tasks with it (a manager connection listener)."""
        if not self._running or connected:
            return
        await self._records.fail_where("daemon_id = ? AND status IN ('queued', 'running')", (daemon_id,),
                                       "daemon_disconnected", f"daemon {daemon_id} disconnected")

    # -- the webapp's own tasks (filing) -------------------------------------------------------------------------

    def add_rip_listener(self, listener: RipListener) -> None:
        self._rip_listeners.append(listener)

    def add_finish_listener(self, listener: Callable[[Task], Awaitable[None]]) -> None:
        """`await listener(task)` for every task that ends (hands-free mode follows its rips and filings)."""
        self._records.finish_listeners.append(listener)

    def add_scan_listener(self, listener: ScanListener) -> None:
        """`listener(fingerprint)` after each scan is stored (it must not wait long: the event loop goes on)."""
        self._scan_listeners.append(listener)

    async def create_local(
        self, kind: TaskType, drive_id: str, fingerprint: str | None, track_number: int | None,
        params: dict[str, Any], retry_of: str | None = None,
    ) -> Task:
        """A queued task the webapp runs itself (daemon_id `WEBAPP`)."""
        return await self._records.create(kind, WEBAPP, drive_id, fingerprint, track_number, params, retry_of)

    async def local_progress(self, task_id: str, progress: int) -> None:
        """The webapp's own task is running, `progress` percent done."""
        await self._records.progress(task_id, WEBAPP, progress)

    async def local_waiting_again(self, task_id: str) -> None:
        """The webapp's running task is queued again (a job whose worker went silent, before its next attempt)."""
        await self._records.waiting_again(task_id, WEBAPP)

    async def local_finish(
        self, task_id: str, status: TaskStatus, *, result: dict[str, Any] | None = None, error: str | None = None,
        error_code: str | None = None,
    ) -> Task | None:
        return await self._records.finish(task_id, WEBAPP, status, result=result, error=error, error_code=error_code)

    # -- sending -----------------------------------------------------------------------------------------------

    def _drive(self, drive_id: str) -> tuple[dict[str, Any], str]:
        drive = self.manager.drive(drive_id)
        daemon_id = self.manager.daemon_of(drive_id) if drive is not None else None
        if drive is None or daemon_id is None:
            raise TaskProblem("unknown_drive", f"no drive {drive_id} (is its daemon connected?)")
        return drive, daemon_id

    async def _send(self, task: Task, method: str, params: dict[str, Any]) -> Any:
        """Send the task's request; on any refusal the task fails with the reason and `TaskProblem` is raised."""
        try:
            return await self.manager.request(task.daemon_id, method, params, timeout=self.request_timeout)
        except DaemonRequestError as exc:
            problem = daemon_problem(exc, task.daemon_id, method, self.request_timeout)
            await self._records.finish(task.id, task.daemon_id, "failed", error=problem.message,
                                       error_code=problem.code)
            problem.task_ids = [task.id]
            raise problem from None


def output_name(disc: StoredDisc, track: StoredTrack) -> str:
    """The name a rip is written under: the person's, else the disc's title (and year) for the main feature."""
    if track.name:
        return track.name
    base = f"{disc.title} ({disc.year})" if disc.year else disc.title
    if (track.track_type or track.classification) == "main_feature":
        return base
    return f"{base} - title {track.number:02d}"


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}
