"""What a task is: the `Task` record, its types and statuses, `TaskProblem`, and the hooks filing plugs into."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from amphigory.link.errors import DaemonError, DaemonNotConnected, DaemonRequestError, DaemonTimeout

TaskType = Literal["scan", "rip", "eject", "file"]
TaskStatus = Literal["queued", "running", "complete", "failed", "cancelled"]
ACTIVE = ("queued", "running")
# Failures the webapp assumed rather than saw; a later event from the daemon about the task overrides them.
ASSUMED_FAILURES = ("daemon_disconnected", "webapp_restarted")
# The daemon_id of tasks the webapp runs itself (filing): no daemon can have it (hello requires a non-empty id), so
# no daemon's events or disconnection can touch them.
WEBAPP = ""
# Called once per completed rip (daemon_id, drive_id, fingerprint, track number); what it returns is added to the
# rip task's result as `filing`.
RipListener = Callable[[str, str, str, int], Awaitable[dict[str, Any] | None]]
# Called once a scan is stored, with the disc's fingerprint (identification starts from here).
ScanListener = Callable[[str], Awaitable[None]]


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


def daemon_problem(exc: DaemonRequestError, daemon_id: str, method: str, timeout: float | None) -> TaskProblem:
    """The `TaskProblem` a failed request to a daemon becomes (its code and a sentence for people)."""
    if isinstance(exc, DaemonNotConnected):
        return TaskProblem("daemon_not_connected", f"daemon {daemon_id} is not connected")
    if isinstance(exc, DaemonTimeout):
        waited = f" within {timeout:g} s" if timeout else ""
        return TaskProblem("daemon_timeout", f"daemon {daemon_id} did not answer {method}{waited}")
    if isinstance(exc, DaemonError):
        return TaskProblem(exc.code, f"daemon {daemon_id} refused {method}: {exc.message}")
    return TaskProblem("daemon_error", f"daemon {daemon_id}: {exc}")
