"""Managing rips: delete a disc's rips and library files (`DELETE /api/discs/{fingerprint}`), dismiss a finished
task (`DELETE /api/tasks/{id}`) or clear all failed ones (`DELETE /api/tasks?status=failed`), and preview the file
names unsaved changes would give (`POST /api/discs/{fingerprint}/plan`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from amphigory.api.deps import Db, Discs, Manager, Tasks
from amphigory.api.disc_repository import DiscUpdate
from amphigory.library.plan import planned, with_changes
from amphigory.library.removal import delete_disc_rips
from amphigory.tasks.sql import delete_finished_tasks

router = APIRouter(tags=["manage"])
DISMISSABLE = ("failed", "cancelled", "complete")


class KeptFile(BaseModel):
    path: str
    reason: str


class DiscDeleted(BaseModel):
    """The disc is forgotten; `removed` lists the files deleted, `kept` those that could not be (and why)."""

    fingerprint: str
    removed: list[str]
    kept: list[KeptFile]


class TasksDismissed(BaseModel):
    task_ids: list[str]


class PlannedTrack(BaseModel):
    number: int
    planned_library_path: str | None


class Plan(BaseModel):
    """Each present track's library path (relative to the library root) with the changes applied."""

    tracks: list[PlannedTrack]


@router.post("/api/discs/{fingerprint}/plan", response_model=Plan, tags=["discs"],
             responses={404: {"description": "unknown disc"}})
async def plan_disc(fingerprint: str, changes: DiscUpdate, discs: Discs) -> Plan:
    """The file names the disc's titles would get with these changes (nothing is saved)."""
    disc = await discs.get(fingerprint)
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    preview = planned(with_changes(disc, changes), await discs.scan_result(fingerprint))
    return Plan(tracks=[PlannedTrack(number=t.number, planned_library_path=t.planned_library_path)
                        for t in preview.tracks if t.present])


@router.delete("/api/discs/{fingerprint}", response_model=DiscDeleted,
               responses={404: {"description": "unknown disc"}, 409: {"description": "the disc has tasks running"}})
async def delete_disc(fingerprint: str, request: Request, discs: Discs, tasks: Tasks,
                      manager: Manager) -> DiscDeleted:
    """Delete the disc's rips and its library files (empty folders go too), then forget the disc."""
    active = [t for status in ("queued", "running")
              for t in await tasks.list_tasks(status, fingerprint=fingerprint, limit=1)]
    if active:
        raise HTTPException(status_code=409, detail=f"disc {fingerprint} has a {active[0].type} task "
                                                    f"{active[0].status}: cancel it first")
    removal = await delete_disc_rips(discs, request.app.state.settings.library_dir, fingerprint)
    if removal is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    # pages showing the disc (a dashboard card) look it up again: it is a new disc now
    await manager.broadcast_browser({"type": "disc", "fingerprint": fingerprint, "deleted": True})
    return DiscDeleted(fingerprint=fingerprint, removed=removal.removed,
                       kept=[KeptFile(**k) for k in removal.kept])


@router.delete("/api/tasks/{task_id}", response_model=TasksDismissed,
               responses={404: {"description": "unknown task"}, 409: {"description": "the task is not finished"}})
async def dismiss_task(task_id: str, db: Db, tasks: Tasks, manager: Manager) -> TasksDismissed:
    """Dismiss one finished task (failed, cancelled or complete): it leaves the list."""
    task = await tasks.get(task_id)
    if task is None:
        raise HTTPException(status_code=404, detail=f"no task {task_id}")
    if task.status not in DISMISSABLE:
        raise HTTPException(status_code=409, detail=f"task {task_id} is {task.status}: cancel it first")
    async with db.connection() as conn:
        ids = await delete_finished_tasks(conn, DISMISSABLE, task_id)
    await manager.broadcast_browser({"type": "tasks_removed", "task_ids": ids})
    return TasksDismissed(task_ids=ids)


@router.delete("/api/tasks", response_model=TasksDismissed)
async def clear_tasks(db: Db, manager: Manager,
                      status: Literal["failed", "cancelled", "complete"] = "failed") -> TasksDismissed:
    """Clear every finished task with this status (default: every failed one)."""
    async with db.connection() as conn:
        ids = await delete_finished_tasks(conn, (status,))
    await manager.broadcast_browser({"type": "tasks_removed", "task_ids": ids})
    return TasksDismissed(task_ids=ids)
