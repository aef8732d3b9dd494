"""/api/discs: every disc the webapp has seen, by fingerprint, with its tracks; the person's edits.

A disc's `version` counts the person's saves and is its ETag. A save made on an older version (the `version` in
the body, or `If-Match`) is refused with 409, so two tabs never silently undo each other; a save is announced on
the browser feed (`{"type": "disc", "fingerprint", "version"}`) so an open review page can reload.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from pydantic import BaseModel, field_validator

from amphigory.api.deps import Discs, Manager
from amphigory.api.disc_repository import DiscSummary, DiscUpdate, StaleVersion, StoredDisc, UnknownTrack
from amphigory.identify.result import Identification
from amphigory.library.plan import with_planned_paths
from amphigory.library.refile import refile_renamed
from amphigory.limits import MAX_OFFSET

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
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> DiscsListResponse:
    """Stored discs, most recently changed first."""
    return DiscsListResponse(discs=await discs.list_discs(q, limit, offset))


@router.get("/{fingerprint}", response_model=DiscResponse, responses={404: {"description": "unknown disc"}})
async def get_disc(fingerprint: str, discs: Discs, response: Response) -> StoredDisc:
    """The disc, its tracks, and the library path each present track will be filed under
    (`planned_library_path`); its `version` is also the `ETag`."""
    disc = await discs.get(fingerprint)
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    response.headers["ETag"] = etag(disc.version)
    return await with_planned_paths(discs, disc)


@router.patch("/{fingerprint}", response_model=DiscResponse,
              responses={404: {"description": "unknown disc"}, 409: {"description": "saved elsewhere since"},
                         422: {"description": "unknown track"}})
async def update_disc(
    fingerprint: str, changes: DiscUpdate, discs: Discs, manager: Manager, request: Request, response: Response,
    if_match: Annotated[str | None, Header(max_length=100, description="the ETag the edit was made on")] = None,
) -> StoredDisc:
    """Change the disc's title, year or (a CD's) artist, and each track's selection, name or type. A title or year
    that differs from the stored one is the person naming the disc (`named_by` "person"): identification never
    changes it again. Tracks already filed move to their new names in the library (one folder per disc; folders
    left empty are removed); rips held until it was named are filed into the library. With `version` (or
    `If-Match`), refused with 409 when the disc was saved since."""
    if if_match is not None and if_match.strip() != "*" and changes.version is None:
        changes = changes.model_copy(update={"version": version_of(if_match)})
    try:
        disc = await discs.update(fingerprint, changes)
    except UnknownTrack as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except StaleVersion as exc:
        raise HTTPException(status_code=409, detail=str(exc), headers={"ETag": etag(exc.current)}) from None
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    if await refile_renamed(discs, request.app.state.settings.library_dir, fingerprint):
        disc = await discs.get(fingerprint) or disc
    handsfree = getattr(request.app.state, "handsfree", None)
    if handsfree is not None:
        disc = await handsfree.disc_changed(fingerprint, changes) or disc
    response.headers["ETag"] = etag(disc.version)
    await manager.broadcast_browser({"type": "disc", "fingerprint": disc.fingerprint, "version": disc.version})
    return await with_planned_paths(discs, disc)


def etag(version: int) -> str:
    return f'"{version}"'


def version_of(if_match: str) -> int:
    """The version an `If-Match` names (`"3"`, `W/"3"` or `3`); 0 (no version: a stale save) for anything else."""
    text = if_match.strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() and len(text) <= 18 else 0
