"""/api/handsfree: hands-free mode's countdowns (cancel, rip now), what it last did per drive, and the discs whose
rips wait for a name (the dashboard's "needs review" list)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from amphigory.handsfree import HandsFree

router = APIRouter(prefix="/api/handsfree", tags=["hands-free"])


class Countdown(BaseModel):
    drive_id: str
    fingerprint: str
    title: str
    tracks: list[dict[str, Any]] = Field(description="what it is about to rip: number, type, duration_seconds")
    seconds: float
    ends_at: float = Field(description="when the rip starts (Unix time)")
    remaining: float


class ReviewItem(BaseModel):
    fingerprint: str
    title: str
    year: int | None = None
    volume_name: str | None = None
    disc_type: str | None = None
    held: int = Field(description="ripped titles held until the disc is named")


class HandsFreeState(BaseModel):
    seq: int = Field(description="increases with every state made: a client keeps the state with the highest")
    countdowns: list[Countdown]
    notes: dict[str, str] = Field(description="by drive id: what hands-free mode last did there")
    needs_review: list[ReviewItem]
    on_insert: str = Field(description="the global on-insert rule: manual or rip")
    drive_rules: dict[str, str] = Field(description="drives' own on-insert rules, by drive id")


class DriveRef(BaseModel):
    drive_id: str = Field(max_length=500)


def _handsfree(request: Request) -> HandsFree:
    handsfree: HandsFree = request.app.state.handsfree
    return handsfree


@router.get("", response_model=HandsFreeState)
async def state(request: Request) -> HandsFreeState:
    return HandsFreeState.model_validate(await _handsfree(request).state())


@router.post("/cancel", response_model=HandsFreeState, responses={404: {"description": "no countdown"}})
async def cancel(body: DriveRef, request: Request) -> HandsFreeState:
    """Stop a drive's countdown: nothing is ripped, the disc waits for a person."""
    if not await _handsfree(request).cancel(body.drive_id):
        raise HTTPException(status_code=404, detail=f"no countdown on drive {body.drive_id}")
    return await state(request)


@router.post("/rip-now", response_model=HandsFreeState, responses={404: {"description": "no countdown"}})
async def rip_now(body: DriveRef, request: Request) -> HandsFreeState:
    """End a drive's countdown now: the rip starts."""
    if not await _handsfree(request).rip_now(body.drive_id):
        raise HTTPException(status_code=404, detail=f"no countdown on drive {body.drive_id}")
    return await state(request)
