"""/api/discs: every disc the webapp has seen, by fingerprint, with its tracks; the person's edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, field_validator

from amphigory.api.deps import Discs
from amphigory.api.disc_repository import DiscSummary, DiscUpdate, StoredDisc, UnknownTrack
from amphigory.identify.result import Identification

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
    disc = await discs.get(fingerprint)
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    return disc


@router.patch("/{fingerprint}", response_model=DiscResponse,
              responses={404: {"description": "unknown disc"}, 422: {"description": "unknown track"}})
async def update_disc(fingerprint: str, changes: DiscUpdate, discs: Discs) -> StoredDisc:
    """Change the disc's title or year, and each track's selection, name or type. A title or year that differs
    from the stored one is the person naming the disc (`named_by` "person"): identification never changes it again."""
    try:
        disc = await discs.update(fingerprint, changes)
    except UnknownTrack as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    return disc
