"""/api/tasks: every scan, rip, eject and filing the webapp asked for, with status, progress, result and error."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from amphigory.api.deps import Tasks, problem_responses
from amphigory.limits import MAX_OFFSET
from amphigory.tasks import Task, TaskStatus

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


class TasksListResponse(BaseModel):
    tasks: list[Task]


class RetryAccepted(BaseModel):
    task_ids: list[str]
    tasks: list[Task]


@router.get("", response_model=TasksListResponse)
async def list_tasks(
    tasks: Tasks,
    status: TaskStatus | None = None,
    drive_id: Annotated[str | None, Query(max_length=400)] = None,
    fingerprint: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> TasksListResponse:
    """Tasks, newest first."""
    return TasksListResponse(tasks=await tasks.list_tasks(status, drive_id, fingerprint, limit, offset))


@router.get("/{task_id}", response_model=Task, responses={404: {"description": "unknown task"}})
async def get_task(task_id: str, tasks: Tasks) -> Task:
    task = await tasks.get(task_id)
    if task is None:
        raise HTTPException(status_code=404, detail=f"no task {task_id}")
    return task


@router.post("/{task_id}/cancel", response_model=Task, responses=problem_responses(404, 409, 504))
async def cancel_task(task_id: str, tasks: Tasks) -> Task:
    """Cancel a queued or running task."""
    return await tasks.cancel(task_id)


@router.post("/{task_id}/retry", status_code=202, response_model=RetryAccepted,
             responses=problem_responses(404, 409, 422, 503, 504))
async def retry_task(task_id: str, tasks: Tasks) -> RetryAccepted:
    """Run a failed or cancelled scan, rip or filing again as a new task."""
    created = await tasks.retry(task_id)
    return RetryAccepted(task_ids=[t.id for t in created], tasks=created)
