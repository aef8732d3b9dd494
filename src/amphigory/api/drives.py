"""/api/drives: every connected daemon's drives, as the daemons report them (spec Tasks 7 and 11).

Drive state comes from the `ConnectionManager`'s mirror of the daemons, never from the webapp's own guesses; a drive
whose disc has a stored fingerprint carries `known_disc` (title and tracks), so a known disc needs no scan. Drive
ids contain ':' and '@' and may contain '/', hence the path converters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from amphigory.api.deps import Discs, Manager, Tasks, problem_responses
from amphigory.api.disc_repository import StoredDisc
from amphigory.tasks import Task

router = APIRouter(prefix="/api/drives", tags=["drives"])


class DriveResponse(BaseModel):
    """A drive (the seed's fields, then the rest of the daemon's drive state) and the stored disc in it."""

    drive_id: str
    daemon_id: str
    device: str
    state: str
    disc_volume: str | None = None
    disc_type: str | None = None
    fingerprint: str | None = None
    scan_status: str | None = None
    scan_result: dict[str, Any] | None = None
    scan_task_id: str | None = None
    scan_error: str | None = None
    scan_progress: int | None = None
    rip_task_id: str | None = None
    rip_track_number: int | None = None
    rip_progress: int | None = None
    rip_error: str | None = None
    disc_inserted_at: str | None = None
    last_updated: str | None = None
    known_disc: StoredDisc | None = None


class DrivesListResponse(BaseModel):
    """Response model for list of drives."""

    drives: list[DriveResponse]


class ScanAccepted(BaseModel):
    task_id: str
    task: Task


class RipRequest(BaseModel):
    """Tracks to rip from the disc `fingerprint` (default: the one in the drive now, which must be stored)."""

    tracks: list[int] = Field(min_length=1, max_length=500)
    fingerprint: str | None = Field(default=None, max_length=200)
    names: dict[int, Annotated[str, Field(max_length=300)]] | None = Field(
        default=None, description="chosen names by track number")
    replace: bool = Field(default=False, description="re-rip tracks ripped before: the new file replaces the "
                                                     "earlier one once complete and verified (a failed re-rip "
                                                     "keeps it); without it such tracks are refused (409)")


class RipAccepted(BaseModel):
    task_ids: list[str]
    tasks: list[Task]


class EjectResponse(BaseModel):
    ejected: bool
    task_id: str
    task: Task


@router.get("", response_model=DrivesListResponse)
async def list_drives(manager: Manager, discs: Discs) -> DrivesListResponse:
    """List all connected optical drives."""
    drives = manager.drives()
    known = await discs.get_many(d["fingerprint"] for d in drives if d.get("fingerprint"))
    return DrivesListResponse(drives=[_response(d, known) for d in drives])


@router.get("/{drive_id:path}", response_model=DriveResponse, responses={404: {"description": "unknown drive"}})
async def get_drive(drive_id: str, manager: Manager, discs: Discs) -> DriveResponse:
    """Get status of a specific drive."""
    drive = manager.drive(drive_id)
    if drive is None:
        raise HTTPException(status_code=404, detail=f"Drive {drive_id} not found")
    fingerprint = drive.get("fingerprint")
    known = await discs.get_many([fingerprint]) if fingerprint else {}
    return _response(drive, known)


@router.post("/{drive_id:path}/scan", status_code=202, response_model=ScanAccepted,
             responses=problem_responses(404, 409, 503, 504))
async def scan_drive(drive_id: str, tasks: Tasks) -> ScanAccepted:
    """Scan the disc in the drive; follow the task for the result."""
    task = await tasks.scan(drive_id)
    return ScanAccepted(task_id=task.id, task=task)


@router.post("/{drive_id:path}/rip", status_code=202, response_model=RipAccepted,
             responses=problem_responses(404, 409, 422, 503, 504))
async def rip_drive(drive_id: str, body: RipRequest, tasks: Tasks) -> RipAccepted:
    """Rip tracks of the stored disc in the drive: one task per track. Refused (409) if the disc was swapped, or
    if a track was ripped before and `replace` is not set."""
    created = await tasks.rip(drive_id, body.tracks, body.fingerprint, body.names, replace=body.replace)
    return RipAccepted(task_ids=[t.id for t in created], tasks=created)


@router.post("/{drive_id:path}/eject", response_model=EjectResponse, responses=problem_responses(404, 409, 503, 504))
async def eject_drive(drive_id: str, tasks: Tasks) -> EjectResponse:
    task = await tasks.eject(drive_id)
    return EjectResponse(ejected=task.status == "complete", task_id=task.id, task=task)


def _response(drive: dict[str, Any], known: dict[str, StoredDisc]) -> DriveResponse:
    fingerprint = drive.get("fingerprint")
    return DriveResponse.model_validate({**drive, "known_disc": known.get(fingerprint) if fingerprint else None})
