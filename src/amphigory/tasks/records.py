"""`TaskRecords`: every change to a task, written to the database first and then pushed to browsers.

Each write goes through `update_task`'s guard (only an unfinished task, or one whose failure was assumed, moves
on), so a late or repeated event never undoes an ending. Pushes are `{"type": "task", "task": {...}}`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from amphigory.api.disc_repository import DiscRepository
from amphigory.database import Database, now
from amphigory.link.connections import ConnectionManager
from amphigory.tasks.models import ACTIVE, Task, TaskStatus, TaskType
from amphigory.tasks.sql import fail_tasks, insert_task, select_active_scan_id, select_task, select_tasks, update_task

log = logging.getLogger(__name__)


class TaskRecords:
    """Reads and writes tasks on the `Database`, and tells browsers (through the manager) about each change."""

    def __init__(self, db: Database, discs: DiscRepository, manager: ConnectionManager) -> None:
        self.db = db
        self.discs = discs
        self.manager = manager
        # Told of every task that ended (complete, failed, cancelled): hands-free mode follows its rips and filings.
        self.finish_listeners: list[Callable[[Task], Awaitable[None]]] = []

    async def get(self, task_id: str) -> Task | None:
        async with self.db.connection() as conn:
            return await select_task(conn, task_id)

    async def list_tasks(
        self, status: TaskStatus | None, drive_id: str | None, fingerprint: str | None, limit: int, offset: int,
    ) -> list[Task]:
        async with self.db.connection() as conn:
            return await select_tasks(conn, status, drive_id, fingerprint, limit, offset)

    async def active_scan(self, drive_id: str, fingerprint: str | None) -> Task | None:
        """The unfinished scan of this disc in this drive, if there is one."""
        async with self.db.connection() as conn:
            task_id = await select_active_scan_id(conn, drive_id, fingerprint)
            return await select_task(conn, task_id) if task_id is not None else None

    async def create(
        self, kind: TaskType, daemon_id: str, drive_id: str, fingerprint: str | None,
        track_number: int | None = None, params: dict[str, Any] | None = None, retry_of: str | None = None,
    ) -> Task:
        """A new queued task."""
        task_id = uuid.uuid4().hex
        async with self.db.connection() as conn:
            await insert_task(conn, task_id, kind, daemon_id, drive_id, fingerprint, track_number, params or {},
                              retry_of)
            task = await select_task(conn, task_id)
        assert task is not None
        await self.publish(task)
        return task

    async def mark_running(self, task: Task) -> Task:
        """The task's request was accepted; only a still queued task moves (its events may have moved it on)."""
        async with self.db.connection() as conn:
            changed = await update_task(conn, task.id, task.daemon_id, {"status": "running", "started_at": now()},
                                        only=("queued",))
        return await self.publish_id(task.id) if changed else await self.reload(task)

    async def progress(self, task_id: str, daemon_id: str, progress: int | None) -> None:
        """The task is running (again, if its failure was assumed), `progress` percent done when known."""
        values: dict[str, Any] = {"status": "running", "error": None, "error_code": None, "finished_at": None}
        if progress is not None:
            values["progress"] = max(0, min(100, progress))
        values["started_at"] = now()
        async with self.db.connection() as conn:
            changed = await update_task(conn, task_id, daemon_id, values, only=ACTIVE, revive=True)
        if changed:
            await self.publish_id(task_id)

    async def waiting_again(self, task_id: str, daemon_id: str) -> None:
        """A running task waits again for someone to run it (its worker went silent): queued, from 0 %."""
        async with self.db.connection() as conn:
            changed = await update_task(conn, task_id, daemon_id, {"status": "queued", "progress": 0},
                                        only=("running",))
        if changed:
            await self.publish_id(task_id)

    async def finish(
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
        return await self.publish_id(task_id) if changed else None

    async def fail_where(self, where: str, params: tuple[Any, ...], code: str, message: str) -> list[Task]:
        """Fail every task matching an SQL condition; a failed rip's track records the failure too."""
        async with self.db.connection() as conn:
            ids = await fail_tasks(conn, where, params, code, message)
            tasks = [t for t in [await select_task(conn, i) for i in ids] if t is not None]
        for task in tasks:
            if task.type == "rip" and task.fingerprint and task.track_number is not None:
                await self.discs.record_rip_failed(task.fingerprint, task.track_number, message)
            await self.publish(task)
        return tasks

    async def reload(self, task: Task) -> Task:
        return await self.get(task.id) or task

    async def publish_id(self, task_id: str) -> Task:
        task = await self.get(task_id)
        assert task is not None
        await self.publish(task)
        return task

    async def publish(self, task: Task) -> None:
        await self.broadcast({"type": "task", "task": task.model_dump(mode="json")})
        if task.status not in ACTIVE:
            for listener in list(self.finish_listeners):
                try:
                    await listener(task)
                except Exception:
                    log.exception("a task listener failed on task %s", task.id)

    async def broadcast(self, message: dict[str, Any]) -> None:
        """Push a message to browsers; a browser feed problem must never undo a task change."""
        try:
            await self.manager.broadcast_browser(message)
        except Exception:
            log.exception("could not push %s to browsers", message.get("type"))
