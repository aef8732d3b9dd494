"""Filing on demand: `POST /api/discs/{fingerprint}/tracks/{number}/file` (re)files one ripped track."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel

from amphigory.api.deps import Discs, problem_responses
from amphigory.library.filing import Filer
from amphigory.limits import MAX_TRACK_NUMBER
from amphigory.tasks import Task

router = APIRouter(prefix="/api/discs", tags=["library"])


class FileAccepted(BaseModel):
    task_id: str
    task: Task


@router.post("/{fingerprint}/tracks/{number}/file", status_code=202, response_model=FileAccepted,
             responses={404: {"description": "unknown disc"}, **problem_responses(409, 422)})
async def file_track(fingerprint: str, number: Annotated[int, Path(ge=0, le=MAX_TRACK_NUMBER)], request: Request,
                     discs: Discs) -> FileAccepted:
    """File a ripped track into the library under its current name (again, if it was filed before: the old file
    goes). 409 when its ripped file is not reachable from the webapp."""
    if await discs.get(fingerprint) is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    filer: Filer = request.app.state.filer
    task = await filer.file(fingerprint, number)
    return FileAccepted(task_id=task.id, task=task)
