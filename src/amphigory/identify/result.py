"""The answer to "what is this disc?": `Identification` (DESIGN.md's `identification` object) and its parts.

Plain dataclasses, no I/O: the decision (`amphigory.identify`) produces them, the webapp stores them with the disc
(as JSON, `to_json`/`from_json`), `amphigory identify --json` prints them, and the filing code reads the titles'
names, seasons and episodes from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["identified", "uncertain", "unknown"]
Kind = Literal["movie", "series", "music"]
# Where an answer came from: a service, or the person on the review page (final).
Source = Literal["thediscdb", "musicbrainz", "tmdb", "person", "none"]


@dataclass(frozen=True)
class ScorePart:
    """One named, explained part of a candidate's score (beets' "distance" parts): `value` in 0..1 times `weight`."""

    name: str  # "label_words", "runtime", "episode_runtimes", "year", "series_words", "content_hash", ...
    value: float
    weight: float
    why: str  # for a person: "main title 1:52:03 vs film 1:52:00 (0.04 %)"


@dataclass(frozen=True)
class Candidate:
    """One possible answer with its score (0..1) and the parts that make it."""

    kind: Kind
    title: str
    year: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    musicbrainz_release_id: str | None = None
    artist: str | None = None
    season: int | None = None
    score: float = 0.0
    parts: tuple[ScorePart, ...] = ()
    poster_url: str | None = None
    overview: str | None = None


@dataclass(frozen=True)
class TitleInfo:
    """What identification says about one scanned title (keyed by the scan's title number)."""

    number: int
    name: str | None = None
    type: str | None = None  # one of amphigory_protocol.disc.TitleType, when the source labels it
    season: int | None = None
    episode: int | None = None
    episode_end: int | None = None  # a title holding two episodes: sNNeMM-eKK
    artist: str | None = None  # a CD track's own artist, when it differs from the album's


@dataclass(frozen=True)
class Identification:
    """DESIGN.md's `identification` object. Applied to the disc only when `status == "identified"`."""

    status: Status = "unknown"
    source: Source = "none"
    kind: Kind | None = None
    title: str | None = None
    year: int | None = None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    musicbrainz_release_id: str | None = None
    artist: str | None = None
    season: int | None = None
    confidence: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    titles: tuple[TitleInfo, ...] = ()
    poster_url: str | None = None  # a film's poster or an album's front cover
    reasons: tuple[str, ...] = ()  # why, for a person: "found by content hash", "runtime matched within 0.2 %"
    # Set when a service could not be asked (offline, down, garbage): the disc is looked up again later.
    retry: bool = False

    def title_info(self, number: int) -> TitleInfo | None:
        return next((t for t in self.titles if t.number == number), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Identification:
        """The inverse of `to_json` (unknown keys ignored, so older stored answers still load)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["candidates"] = tuple(
            Candidate(**{**c, "parts": tuple(ScorePart(**p) for p in c.get("parts", ()))})
            for c in data.get("candidates", ())
        )
        known["titles"] = tuple(TitleInfo(**t) for t in data.get("titles", ()))
        known["reasons"] = tuple(data.get("reasons", ()))
        return cls(**known)


UNKNOWN = Identification()
