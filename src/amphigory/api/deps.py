"""What the API's routes take from `app.state` (see docs/internals.md), and how refusals become responses."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from amphigory.api.disc_repository import DiscRepository
from amphigory.database import Database
from amphigory.tasks import TaskProblem, TaskService
from amphigory.websocket import ConnectionManager

log = logging.getLogger(__name__)

# TaskProblem codes that are not a conflict with the current state (409).
_STATUS = {
    "unknown_drive": 404,
    "unknown_task": 404,
    "unknown_track": 422,
    "invalid_params": 422,
    "daemon_not_connected": 503,
    "daemon_timeout": 504,
    "disk_full": 507,
}


class Problem(BaseModel):
    """Why a request was refused: `detail` for people, `code` for programs, and any tasks it created."""

    detail: str
    code: str
    task_ids: list[str] = []


def problem_status(code: str) -> int:
    return _STATUS.get(code, 409)


async def task_problem_handler(request: Request, exc: Exception) -> JSONResponse:
    """The app's handler for `TaskProblem`."""
    assert isinstance(exc, TaskProblem)
    body = Problem(detail=exc.message, code=exc.code, task_ids=exc.task_ids)
    return JSONResponse(body.model_dump(), status_code=problem_status(exc.code))


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The app's handler for `sqlite3.OperationalError`: a database another program holds locked (past the busy
    timeout) is a 503 the caller can retry, not a crash; any other database error stays a 500."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        body = Problem(detail="the database is busy: another program holds it locked; try again in a moment",
                       code="database_busy")
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    log.error("database error on %s %s: %s", request.method, request.url.path, text)
    return JSONResponse({"detail": "database error"}, status_code=500)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses=` for routes that may refuse with a `Problem`; a 422 may also be FastAPI's own
    validation error (`HTTPValidationError`), so it documents both shapes."""
    out: dict[int | str, dict[str, object]] = {status: {"model": Problem} for status in statuses}
    if 404 in statuses:  # a path no route takes (a drive id with a line break) is FastAPI's own {"detail"}
        no_route = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
        either = {"anyOf": [{"$ref": "#/components/schemas/Problem"}, no_route]}
        out[404] = {"description": "unknown (Problem), or no such path ({\"detail\"} only)",
                    "content": {"application/json": {"schema": either}}}
    if 422 in statuses:
        either = {"anyOf": [{"$ref": "#/components/schemas/Problem"},
                            {"$ref": "#/components/schemas/HTTPValidationError"}]}
        out[422] = {"description": "refused (Problem) or invalid request (HTTPValidationError)",
                    "content": {"application/json": {"schema": either}}}
    return out


def _manager(request: Request) -> ConnectionManager:
    manager: ConnectionManager = request.app.state.manager
    return manager


def _discs(request: Request) -> DiscRepository:
    discs: DiscRepository = request.app.state.discs
    return discs


def _tasks(request: Request) -> TaskService:
    tasks: TaskService = request.app.state.tasks
    return tasks


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Manager = Annotated[ConnectionManager, Depends(_manager)]
Discs = Annotated[DiscRepository, Depends(_discs)]
Tasks = Annotated[TaskService, Depends(_tasks)]
Db = Annotated[Database, Depends(_db)]
