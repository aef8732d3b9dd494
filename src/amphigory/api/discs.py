"""/api/discs: every disc the webapp has seen, by fingerprint, with its tracks; the person's edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, field_validator

from amphigory.api.deps import Discs
from amphigory.api.disc_repository import DiscSummary, DiscUpdate, StoredDisc, UnknownTrack
from amphigory.identify.result import Identification
from amphigory.library.plan import with_planned_paths
from amphigory.library.refile import refile_renamed

router = APIRouter(prefix="/api/discs", tags=["discs"])


class DiscResponse(StoredDisc):
    """A stored disc with its tracks and what identification says it is (DESIGN.md's `identification`)."""

    identification: Identification | None = None  # type: ignore[assignment]

    @field_validator("identification", mode="before")
    @classmethod
    def _stored(cls, value: Any) -> Any:
        return Identification.from_json(value) if isinstance(value, dict) else value


class DiscsListResponse(BaseModel):
    discs: list[DiscSummary]


@router.get("", response_model=DiscsListResponse)
async def list_discs(
    discs: Discs,
    q: Annotated[str | None, Query(max_length=200, description="search title, volume name or fingerprint")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DiscsListResponse:
    """Stored discs, most recently changed first."""
    return DiscsListResponse(discs=await discs.list_discs(q, limit, offset))


@router.get("/{fingerprint}", response_model=DiscResponse, responses={404: {"description": "unknown disc"}})
async def get_disc(fingerprint: str, discs: Discs) -> StoredDisc:
    """The disc, its tracks, and the library path each present track will be filed under
    (`planned_library_path`)."""
    disc = await discs.get(fingerprint)
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    return await with_planned_paths(discs, disc)


@router.patch("/{fingerprint}", response_model=DiscResponse,
              responses={404: {"description": "unknown disc"}, 422: {"description": "unknown track"}})
async def update_disc(fingerprint: str, changes: DiscUpdate, discs: Discs, request: Request) -> StoredDisc:
    """Change the disc's title, year or (a CD's) artist, and each track's selection, name or type. A title or year
    that differs from the stored one is the person naming the disc (`named_by` "person"): identification never
    changes it again. Tracks already filed move to their new names in the library (one folder per disc; folders
    left empty are removed)."""
    try:
        disc = await discs.update(fingerprint, changes)
    except UnknownTrack as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    if await refile_renamed(discs, request.app.state.settings.library_dir, fingerprint):
        disc = await discs.get(fingerprint) or disc
    return await with_planned_paths(discs, disc)
