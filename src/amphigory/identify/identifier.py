"""Placeholder of ident-core's `Identifier` (its promised interface), replaced when that branch is merged."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from amphigory.config import MetadataSettings
from amphigory.identify.result import Candidate, Identification, Kind
from amphigory_protocol.disc import ScanResult


@dataclass(frozen=True)
class IdentifyContext:
    bdmt_title: str | None = None
    filed_episodes: Mapping[tuple[int, int], int] = field(default_factory=dict)
    chosen: Candidate | None = None


class Identifier:
    def __init__(self, settings: MetadataSettings, cache: object | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings

    async def identify(self, scan: ScanResult, context: IdentifyContext = IdentifyContext()) -> Identification:
        if context.chosen is not None:
            c = context.chosen
            return Identification(status="identified", source="person", kind=c.kind, title=c.title, year=c.year,
                                  tmdb_id=c.tmdb_id, musicbrainz_release_id=c.musicbrainz_release_id, confidence=1.0)
        return Identification(retry=not self.settings.offline)

    async def search(self, query: str, kind: Kind | None = None, year: int | None = None) -> list[Candidate]:
        return []

    async def aclose(self) -> None:
        return None
