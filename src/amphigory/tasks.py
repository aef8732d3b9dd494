"""Tasks: the webapp's persisted record of every scan, rip and eject it asked a daemon for, and what came of it.

`TaskService` creates a task (queued), sends the request to the daemon that owns the drive, and applies the
daemon's events to it (running with progress, then complete, failed or cancelled). Every change is written to the
database first and then pushed to browsers as `{"type": "task", "task": {...}}`. A completed scan is stored under
the fingerprint the event carries (the disc that was scanned), never under whatever disc the drive holds now.

Nothing stays running forever: when a daemon disconnects its unfinished tasks fail ("daemon X disconnected"), and
when the webapp starts, tasks left unfinished by the previous run fail ("webapp restarted during the task"). Those
two failures are beliefs, not facts: if the daemon later reconnects and replays events for such a task, the events
win and the task carries on. Events only ever apply to a task of the daemon that sent them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

import aiosqlite
from pydantic import BaseModel, Field, ValidationError

from amphigory.api.disc_repository import DiscRepository, DiscUpdate, StoredDisc, StoredTrack, TrackUpdate
from amphigory.database import Database, now
from amphigory.websocket import ConnectionManager, DaemonError, DaemonNotConnected, DaemonRequestError, DaemonTimeout
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName

log = logging.getLogger(__name__)

TaskType = Literal["scan", "rip", "eject", "file"]
TaskStatus = Literal["queued", "running", "complete", "failed", "cancelled"]
ACTIVE = ("queued", "running")
# Failures the webapp assumed rather than saw; a later event from the daemon about the task overrides them.
_ASSUMED_FAILURES = ("daemon_disconnected", "webapp_restarted")
# The daemon_id of tasks the webapp runs itself (filing): no daemon can have it (hello requires a non-empty id), so
# no daemon's events or disconnection can touch them.
WEBAPP = ""
# Called once per completed rip (daemon_id, drive_id, fingerprint, track number); what it returns is added to the
# rip task's result as `filing`.
RipListener = Callable[[str, str, str, int], Awaitable[dict[str, Any] | None]]


class Task(BaseModel):
    """A persisted task (the `/api/tasks` shape)."""

    id: str
    type: TaskType
    status: TaskStatus
    progress: int = Field(ge=0, le=100)
    daemon_id: str
    drive_id: str
    fingerprint: str | None = None
    track_number: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None
    retry_of: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    updated_at: str


class TaskProblem(Exception):
    """A request the service refused or a daemon refused; `code` says why (the API maps it to an HTTP status)."""

    def __init__(self, code: str, message: str, task_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.task_ids = list(task_ids)


class LocalRunner(Protocol):
    """What runs the webapp's own tasks (`amphigory.library.filing.Filer`): cancel and retry go to it."""

    async def cancel(self, task_id: str) -> None: ...

    async def retry(self, task: Task) -> Task: ...


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
        self.local: LocalRunner | None = None

    async def start(self) -> None:
        """Fail what the previous run left unfinished, then listen to the daemons."""
        for task in await self._fail_where("status IN ('queued', 'running')", (), "webapp_restarted",
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
        async with self.db.connection() as conn:
            return await select_task(conn, task_id)

    async def list_tasks(
        self, status: TaskStatus | None = None, drive_id: str | None = None, fingerprint: str | None = None,
        limit: int = 100, offset: int = 0,
    ) -> list[Task]:
        """Tasks, newest first, optionally only those with a status, on a drive or for a disc."""
        async with self.db.connection() as conn:
            return await select_tasks(conn, status, drive_id, fingerprint, limit, offset)

    # -- requests ----------------------------------------------------------------------------------------------

    async def scan(self, drive_id: str, retry_of: str | None = None) -> Task:
        """Ask the drive's daemon to scan the disc in it; the task runs until scan_completed/scan_failed.

        Asking again while that disc's scan is still under way (a second click, or the automatic scan of a new
        disc) returns the running task instead of a `busy` refusal."""
        drive, daemon_id = self._drive(drive_id)
        fingerprint = drive.get("fingerprint")
        running = await self._active_scan(drive_id, fingerprint)
        if running is not None and retry_of is None:
            return running
        task = await self._create("scan", daemon_id, drive_id, fingerprint, retry_of=retry_of)
        return await self._start_scan(task)

    async def _start_scan(self, task: Task) -> Task:
        await self._send(task, "scan", {"drive_id": task.drive_id, "task_id": task.id})
        return await self._mark_running(task)

    async def _active_scan(self, drive_id: str, fingerprint: str | None) -> Task | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "SELECT id FROM tasks WHERE type = 'scan' AND drive_id = ? AND fingerprint IS ? "
                "AND status IN ('queued', 'running') ORDER BY created_at DESC LIMIT 1", (drive_id, fingerprint))
            row = await cur.fetchone()
            return await select_task(conn, row["id"]) if row is not None else None

    async def _auto_scan(self, daemon_id: str, drive_id: str, fingerprint: str) -> None:
        """A new disc went in: scan it at once unless it is known or already being scanned."""
        if await self.discs.get(fingerprint) is not None or await self._active_scan(drive_id, fingerprint):
            return
        # The task row exists before this listener returns, so a Scan click right after reuses it.
        task = await self._create("scan", daemon_id, drive_id, fingerprint, params={"automatic": True})

        async def start() -> None:
            try:
                await self._start_scan(task)
            except TaskProblem as problem:  # the task already failed with the reason
                log.info("automatic scan of %s on %s: %s", fingerprint, drive_id, problem.message)

        job = asyncio.ensure_future(start())
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    async def rip(
        self, drive_id: str, tracks: Sequence[int], fingerprint: str | None = None,
        names: dict[int, str] | None = None, retry_of: str | None = None,
    ) -> list[Task]:
        """Rip tracks of the stored disc `fingerprint` (default: the drive's), refusing if the drive holds another."""
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
        disc = await self.discs.get(expected)
        scan = await self.discs.scan_result(expected)
        if disc is None or scan is None:
            raise TaskProblem("not_scanned", f"disc {expected} has not been scanned yet: scan it before ripping")
        titles = {t.number: t for t in scan.titles}
        available = sorted(t.number for t in disc.tracks if t.present and t.number in titles)
        missing = [n for n in tracks if n not in available]
        if missing:
            listed = ", ".join(str(n) for n in available) or "none"
            raise TaskProblem(
                "unknown_track",
                f"disc {disc.title!r} ({expected}) has no track {', '.join(map(str, missing))}; its tracks: {listed}",
            )
        if names:
            disc = await self.discs.update(
                expected, DiscUpdate(tracks=[TrackUpdate(number=n, name=v) for n, v in names.items() if n in tracks])
            ) or disc
        created: list[Task] = []
        for number in dict.fromkeys(tracks):
            track = disc.track(number)
            assert track is not None
            params = {"output_name": output_name(disc, track)}
            task = await self._create("rip", daemon_id, drive_id, expected, number, params, retry_of)
            created.append(task)
            try:
                await self._send(task, "rip", {
                    "drive_id": drive_id, "task_id": task.id, "fingerprint": expected,
                    "title": titles[number].model_dump(mode="json"), "disc_title": disc.title, **params,
                })
            except TaskProblem as problem:
                problem.task_ids = [t.id for t in created]
                raise
            await self.discs.record_rip_queued(expected, number)
        return [await self._reload(t) for t in created]

    async def eject(self, drive_id: str) -> Task:
        drive, daemon_id = self._drive(drive_id)
        task = await self._create("eject", daemon_id, drive_id, drive.get("fingerprint"))
        result = await self._send(task, "eject", {"drive_id": drive_id})
        return await self._finish(task.id, daemon_id, "complete", result=_as_dict(result)) or task

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
                raise _problem(exc, task.daemon_id, "cancel", self.request_timeout) from None
        finished = await self._finish(task_id, task.daemon_id, "cancelled", error="cancelled by request",
                                      error_code="cancelled")
        return finished or await self._reload(task)

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
        return await self.rip(task.drive_id, [task.track_number], task.fingerprint, retry_of=task.id)

    # -- daemon events -----------------------------------------------------------------------------------------

    async def on_event(self, daemon_id: str, event: Event) -> None:
        """Apply one daemon event (a manager listener): never raises, a bad event is logged and dropped."""
        if not self._running:
            return
        try:
            await self._apply(daemon_id, event)
        except Exception:
            log.exception("could not apply %s from daemon %s", event.event.value, daemon_id)

    async def on_connection(self, daemon_id: str, connected: bool) -> None:
        """A daemon that went away takes its unfinished tasks with it (a manager connection listener)."""
        if not self._running or connected:
            return
        await self._fail_where("daemon_id = ? AND status IN ('queued', 'running')", (daemon_id,),
                               "daemon_disconnected", f"daemon {daemon_id} disconnected")

    async def _apply(self, daemon_id: str, event: Event) -> None:
        data = event.data
        task_id = data.get("task_id")
        fingerprint = data.get("fingerprint")
        kind = event.event
        if kind in (EventName.SCAN_STARTED, EventName.RIP_STARTED, EventName.SCAN_PROGRESS, EventName.RIP_PROGRESS):
            percent = data.get("percent", 0)
            progress = int(percent) if isinstance(percent, int | float) else None
            if kind is EventName.RIP_STARTED and fingerprint and isinstance(data.get("track_number"), int):
                await self.discs.record_rip_started(fingerprint, data["track_number"], data.get("path"))
            if isinstance(task_id, str):
                await self._progress(task_id, daemon_id, progress)
        elif kind is EventName.SCAN_COMPLETED:
            await self._scan_completed(daemon_id, task_id, fingerprint, data.get("result"))
        elif kind is EventName.RIP_COMPLETED:
            number = data.get("track_number")
            keys = ("path", "size_bytes", "duration_seconds", "sha256")
            result = {k: data.get(k) for k in keys}
            if fingerprint and isinstance(number, int):
                await self.discs.record_rip_completed(fingerprint, number, data.get("path"), data.get("size_bytes"),
                                                      data.get("sha256"))
                # Once per rip: a replayed event for a task already complete files nothing again.
                task = await self.get(task_id) if isinstance(task_id, str) else None
                if task is None or task.status in ACTIVE or task.error_code in _ASSUMED_FAILURES:
                    for listener in self._rip_listeners:
                        filing = await listener(daemon_id, event.drive_id or "", fingerprint, number)
                        if filing is not None:
                            result["filing"] = filing
            if isinstance(task_id, str):
                await self._finish(task_id, daemon_id, "complete", result=result)
        elif kind in (EventName.SCAN_FAILED, EventName.RIP_FAILED):
            raw_error = data.get("error")
            error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
            code = str(error.get("code") or "failed")
            message = str(error.get("message") or f"{kind.value} without a message")
            number = data.get("track_number")
            if kind is EventName.RIP_FAILED and fingerprint and isinstance(number, int):
                await self.discs.record_rip_failed(fingerprint, number, message)
            if isinstance(task_id, str):
                status: TaskStatus = "cancelled" if code == "cancelled" else "failed"
                await self._finish(task_id, daemon_id, status, error=message, error_code=code)
        elif kind is EventName.DISC_INSERTED and self.auto_scan and isinstance(fingerprint, str) and fingerprint \
                and event.drive_id:
            await self._auto_scan(daemon_id, event.drive_id, fingerprint)
        # Otherwise (disc_ejected, drive_state_changed, a known disc going in) the manager mirrors the drive and
        # the drives API shows a known disc as known_disc from its fingerprint: nothing to do here.

    async def _scan_completed(self, daemon_id: str, task_id: Any, fingerprint: Any, raw: Any) -> None:
        try:
            result = ScanResult.model_validate(raw)
        except ValidationError as exc:
            if isinstance(task_id, str):
                await self._finish(task_id, daemon_id, "failed", error=f"invalid scan result: {exc.errors()[0]}",
                                   error_code="invalid_result")
            return
        key = fingerprint if isinstance(fingerprint, str) and fingerprint else result.fingerprint
        disc = await self.discs.save_scan(result, key)
        await self._broadcast({"type": "disc", "fingerprint": key, "title": disc.title})
        if isinstance(task_id, str):
            summary = {"fingerprint": key, "title": disc.title, "titles": len(result.titles)}
            await self._finish(task_id, daemon_id, "complete", result=summary, fingerprint=key)

    # -- the webapp's own tasks (filing) -------------------------------------------------------------------------

    def add_rip_listener(self, listener: RipListener) -> None:
        self._rip_listeners.append(listener)

    async def create_local(
        self, kind: TaskType, drive_id: str, fingerprint: str | None, track_number: int | None,
        params: dict[str, Any], retry_of: str | None = None,
    ) -> Task:
        """A queued task the webapp runs itself (daemon_id `WEBAPP`)."""
        return await self._create(kind, WEBAPP, drive_id, fingerprint, track_number, params, retry_of)

    async def local_progress(self, task_id: str, progress: int) -> None:
        """The webapp's own task is running, `progress` percent done."""
        await self._progress(task_id, WEBAPP, progress)

    async def local_finish(
        self, task_id: str, status: TaskStatus, *, result: dict[str, Any] | None = None, error: str | None = None,
        error_code: str | None = None,
    ) -> Task | None:
        return await self._finish(task_id, WEBAPP, status, result=result, error=error, error_code=error_code)

    # -- writing -----------------------------------------------------------------------------------------------

    def _drive(self, drive_id: str) -> tuple[dict[str, Any], str]:
        drive = self.manager.drive(drive_id)
        daemon_id = self.manager.daemon_of(drive_id) if drive is not None else None
        if drive is None or daemon_id is None:
            raise TaskProblem("unknown_drive", f"no drive {drive_id} (is its daemon connected?)")
        return drive, daemon_id

    async def _create(
        self, kind: TaskType, daemon_id: str, drive_id: str, fingerprint: str | None,
        track_number: int | None = None, params: dict[str, Any] | None = None, retry_of: str | None = None,
    ) -> Task:
        task_id = uuid.uuid4().hex
        async with self.db.connection() as conn:
            await insert_task(conn, task_id, kind, daemon_id, drive_id, fingerprint, track_number, params or {},
                              retry_of)
            task = await select_task(conn, task_id)
        assert task is not None
        await self._publish(task)
        return task

    async def _send(self, task: Task, method: str, params: dict[str, Any]) -> Any:
        """Send the task's request; on any refusal the task fails with the reason and `TaskProblem` is raised."""
        try:
            return await self.manager.request(task.daemon_id, method, params, timeout=self.request_timeout)
        except DaemonRequestError as exc:
            problem = _problem(exc, task.daemon_id, method, self.request_timeout)
            await self._finish(task.id, task.daemon_id, "failed", error=problem.message, error_code=problem.code)
            problem.task_ids = [task.id]
            raise problem from None

    async def _mark_running(self, task: Task) -> Task:
        # Only if still queued: the daemon's events may already have moved it on.
        async with self.db.connection() as conn:
            changed = await update_task(conn, task.id, task.daemon_id, {"status": "running", "started_at": now()},
                                        only=("queued",))
        return await self._publish_id(task.id) if changed else await self._reload(task)

    async def _progress(self, task_id: str, daemon_id: str, progress: int | None) -> None:
        values: dict[str, Any] = {"status": "running", "error": None, "error_code": None, "finished_at": None}
        if progress is not None:
            values["progress"] = max(0, min(100, progress))
        values["started_at"] = now()
        async with self.db.connection() as conn:
            changed = await update_task(conn, task_id, daemon_id, values, only=ACTIVE, revive=True)
        if changed:
            await self._publish_id(task_id)

    async def _finish(
        self, task_id: str, daemon_id: str, status: TaskStatus, *, result: dict[str, Any] | None = None,
        error: str | None = None, error_code: str | None = None, fingerprint: str | None = None,
    ) -> Task | None:
        """Move an unfinished task (or one whose failure was assumed) to its end; None when it had already ended."""
        stamp = now()
        values: dict[str, Any] = {"status": status, "finished_at": stamp, "error": error, "error_code": error_code,
                                  "result": json.dumps(result) if result is not None else None}
        if status == "complete":
            values["progress"] = 100
        if fingerprint is not None:
            values["fingerprint"] = fingerprint
        async with self.db.connection() as conn:
            changed = await update_task(conn, task_id, daemon_id, values, only=ACTIVE, revive=True)
        return await self._publish_id(task_id) if changed else None

    async def _fail_where(self, where: str, params: tuple[Any, ...], code: str, message: str) -> list[Task]:
        async with self.db.connection() as conn:
            cur = await conn.execute(
                f"UPDATE tasks SET status = 'failed', error = ?, error_code = ?, finished_at = ?, updated_at = ? "
                f"WHERE {where} RETURNING id",
                (message, code, now(), now(), *params),
            )
            ids = [r["id"] for r in await cur.fetchall()]
            tasks = [t for t in [await select_task(conn, i) for i in ids] if t is not None]
        for task in tasks:
            if task.type == "rip" and task.fingerprint and task.track_number is not None:
                await self.discs.record_rip_failed(task.fingerprint, task.track_number, message)
            await self._publish(task)
        return tasks

    async def _reload(self, task: Task) -> Task:
        return await self.get(task.id) or task

    async def _publish_id(self, task_id: str) -> Task:
        task = await self.get(task_id)
        assert task is not None
        await self._publish(task)
        return task

    async def _publish(self, task: Task) -> None:
        await self._broadcast({"type": "task", "task": task.model_dump(mode="json")})

    async def _broadcast(self, message: dict[str, Any]) -> None:
        try:
            await self.manager.broadcast_browser(message)
        except Exception:  # a browser feed problem must never undo a task change
            log.exception("could not push %s to browsers", message.get("type"))


def output_name(disc: StoredDisc, track: StoredTrack) -> str:
    """The name a rip is written under: the person's, else the disc's title (and year) for the main feature."""
    if track.name:
        return track.name
    base = f"{disc.title} ({disc.year})" if disc.year else disc.title
    if (track.track_type or track.classification) == "main_feature":
        return base
    return f"{base} - title {track.number:02d}"


def _problem(exc: DaemonRequestError, daemon_id: str, method: str, timeout: float | None) -> TaskProblem:
    if isinstance(exc, DaemonNotConnected):
        return TaskProblem("daemon_not_connected", f"daemon {daemon_id} is not connected")
    if isinstance(exc, DaemonTimeout):
        waited = f" within {timeout:g} s" if timeout else ""
        return TaskProblem("daemon_timeout", f"daemon {daemon_id} did not answer {method}{waited}")
    if isinstance(exc, DaemonError):
        return TaskProblem(exc.code, f"daemon {daemon_id} refused {method}: {exc.message}")
    return TaskProblem("daemon_error", f"daemon {daemon_id}: {exc}")


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


# -- SQL ---------------------------------------------------------------------------------------------------------

_TASK_COLUMNS = frozenset({"status", "progress", "result", "error", "error_code", "started_at", "finished_at",
                           "fingerprint"})


async def insert_task(
    conn: aiosqlite.Connection, task_id: str, kind: str, daemon_id: str, drive_id: str, fingerprint: str | None,
    track_number: int | None, params: dict[str, Any], retry_of: str | None,
) -> None:
    stamp = now()
    await conn.execute(
        "INSERT INTO tasks (id, type, status, progress, daemon_id, drive_id, fingerprint, track_number, params, "
        "retry_of, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?, ?)",
        (task_id, kind, daemon_id, drive_id, fingerprint, track_number, json.dumps(params), retry_of, stamp, stamp),
    )


async def update_task(
    conn: aiosqlite.Connection, task_id: str, daemon_id: str, values: dict[str, Any], only: Sequence[str],
    revive: bool = False,
) -> bool:
    """Set columns of a task of `daemon_id` whose status is in `only` (or, with `revive`, whose failure was
    assumed); True when it changed."""
    bad = set(values) - _TASK_COLUMNS
    if bad:
        raise ValueError(f"not a task column: {sorted(bad)}")
    condition = f"status IN ({','.join('?' * len(only))})"
    params: list[Any] = [*only]
    if revive:
        condition = f"({condition} OR (status = 'failed' AND error_code IN ({','.join('?' * len(_ASSUMED_FAILURES))})))"
        params += _ASSUMED_FAILURES
    # A task starts once: a later start (a revived task, a repeated event) keeps the first time.
    sets = ", ".join("started_at = coalesce(started_at, ?)" if c == "started_at" else f"{c} = ?" for c in values)
    cur = await conn.execute(
        f"UPDATE tasks SET {sets}, updated_at = ? "
        f"WHERE id = ? AND daemon_id = ? AND {condition}",
        (*values.values(), now(), task_id, daemon_id, *params),
    )
    return cur.rowcount > 0


async def select_task(conn: aiosqlite.Connection, task_id: str) -> Task | None:
    cur = await conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,))
    row = await cur.fetchone()
    return _task(row) if row is not None else None


async def select_tasks(
    conn: aiosqlite.Connection, status: str | None, drive_id: str | None, fingerprint: str | None, limit: int,
    offset: int,
) -> list[Task]:
    filters = {"status": status, "drive_id": drive_id, "fingerprint": fingerprint}
    given = {k: v for k, v in filters.items() if v is not None}
    where = ("WHERE " + " AND ".join(f"{k} = ?" for k in given)) if given else ""
    cur = await conn.execute(
        f"SELECT * FROM tasks {where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
        (*given.values(), limit, offset),
    )
    return [_task(r) for r in await cur.fetchall()]


def _task(row: aiosqlite.Row) -> Task:
    values = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row iterates over values)
    values["params"] = json.loads(values["params"] or "{}")
    values["result"] = json.loads(values["result"]) if values["result"] else None
    return Task.model_validate(values)
