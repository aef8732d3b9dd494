"""What an identification is told (`IdentifyContext`) and what went wrong while it asked (`Trouble`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from amphigory.identify.result import Candidate
from amphigory.metadata.http import ServiceError

log = logging.getLogger("amphigory.identify.identifier")


@dataclass(frozen=True)
class IdentifyContext:
    bdmt_title: str | None = None  # a Blu-ray's BDMV/META/DL/bdmt_*.xml title, if known (else the scan's)
    # (show tmdb_id, season) -> last episode number already filed from that season's earlier discs
    filed_episodes: Mapping[tuple[int, int], int] = field(default_factory=dict)
    chosen: Candidate | None = None  # a person's pick: looked up and answered with source="person"


@dataclass
class Trouble:
    """Services that could not answer during one identification (each logged once)."""

    errors: list[ServiceError] = field(default_factory=list)

    def note(self, error: ServiceError) -> None:
        if all(e.service != error.service for e in self.errors):
            log.warning("identification: %s (will retry later)", error)
        self.errors.append(error)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f"{e.service} unavailable: {e.message}" for e in self.errors))
