"""/api/discs/{fingerprint}/candidates and /identification: the review page's search, and the person's pick.

A search asks the services (TMDB for films and series, MusicBrainz for albums) and answers candidates; without a
query it answers the candidates the disc's own identification found. A pick names the disc with source "person":
final, and remembered for that fingerprint.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field, model_validator

from amphigory.api.deps import Discs
from amphigory.api.disc_models import StoredDisc
from amphigory.api.discs import DiscResponse
from amphigory.identify.result import Candidate, Identification, Kind
from amphigory.identify.service import IdentificationService, UnknownDisc
from amphigory.library.refile import refile_renamed

router = APIRouter(prefix="/api/discs", tags=["identification"])


def _service(request: Request) -> IdentificationService:
    service: IdentificationService = request.app.state.identification
    return service


Identifications = Annotated[IdentificationService, Depends(_service)]


class CandidatesResponse(BaseModel):
    """Possible answers, best first."""

    query: str | None = None
    candidates: list[Candidate]


class Choice(BaseModel):
    """The person's pick: a candidate's kind and ids (and its title, year and season where known)."""

    kind: Kind
    tmdb_id: int | None = Field(default=None, ge=1)
    musicbrainz_release_id: str | None = Field(default=None, max_length=64, pattern=r"^[0-9a-fA-F-]{1,64}$")
    title: str | None = Field(default=None, max_length=300)
    year: int | None = Field(default=None, ge=1870, le=2200)
    season: int | None = Field(default=None, ge=0, le=500)

    @model_validator(mode="after")
    def _has_an_id(self) -> Choice:
        if self.tmdb_id is None and self.musicbrainz_release_id is None:
            raise ValueError("a choice needs a tmdb_id or a musicbrainz_release_id")
        return self

    def matches(self, candidate: Candidate) -> bool:
        return candidate.kind == self.kind and (
            (self.tmdb_id is not None and candidate.tmdb_id == self.tmdb_id)
            or (self.musicbrainz_release_id is not None
                and candidate.musicbrainz_release_id == self.musicbrainz_release_id))

    def candidate(self, known: tuple[Candidate, ...]) -> Candidate:
        """The stored candidate this names (with its poster and score), else one made of what was sent."""
        found = next((c for c in known if self.matches(c)), None)
        if found is not None:
            return found if self.season is None else dataclasses.replace(found, season=self.season)
        return Candidate(kind=self.kind, title=self.title or "", year=self.year, tmdb_id=self.tmdb_id,
                         musicbrainz_release_id=self.musicbrainz_release_id, season=self.season)


async def _disc(discs: Discs, fingerprint: str) -> StoredDisc:
    disc = await discs.get(fingerprint)
    if disc is None:
        raise HTTPException(status_code=404, detail=f"no disc with fingerprint {fingerprint}")
    return disc


@router.get("/{fingerprint}/candidates", response_model=CandidatesResponse,
            responses={404: {"description": "unknown disc"}})
async def candidates(
    fingerprint: str, discs: Discs, identification: Identifications,
    q: Annotated[str | None, Query(max_length=200, description="what to search for (a title)")] = None,
    year: Annotated[int | None, Query(ge=1870, le=2200)] = None,
    kind: Annotated[Kind | None, Query(description="movie, series or music")] = None,
) -> CandidatesResponse:
    """Candidates for the disc: a search when `q` is given, else those its identification found."""
    disc = await _disc(discs, fingerprint)
    query = (q or "").strip()
    if not query:
        stored = Identification.from_json(disc.identification) if disc.identification else None
        return CandidatesResponse(candidates=list(stored.candidates) if stored is not None else [])
    if kind is None and disc.disc_type == "cd":
        kind = "music"
    return CandidatesResponse(query=query, candidates=await identification.search(query, kind, year))


@router.post("/{fingerprint}/identification", response_model=DiscResponse,
             responses={404: {"description": "unknown disc"}})
async def choose(fingerprint: str, choice: Choice, discs: Discs, identification: Identifications,
                 request: Request) -> StoredDisc:
    """Name the disc as the chosen candidate (looked up for its episodes or tracks): the person's answer, final.
    Tracks already filed move to their new names, as after a rename."""
    disc = await _disc(discs, fingerprint)
    stored = Identification.from_json(disc.identification) if disc.identification else None
    candidate = choice.candidate(stored.candidates if stored is not None else ())
    try:
        chosen = await identification.choose(fingerprint, candidate)
    except UnknownDisc as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    if await refile_renamed(discs, request.app.state.settings.library_dir, fingerprint):
        chosen = await discs.get(fingerprint) or chosen
    return chosen
