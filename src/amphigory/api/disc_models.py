"""The shapes of stored discs: `StoredDisc` and `StoredTrack` (what is kept), `DiscSummary` (a list row), the
person's changes (`DiscUpdate`, `TrackUpdate`) and `UnknownTrack` (a change to a track the disc lacks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from amphigory_protocol.disc import AudioStream, PublicIds, SubtitleStream, TitleType, VideoInfo


class UnknownTrack(LookupError):
    """A track number the stored disc does not have."""

    def __init__(self, fingerprint: str, numbers: Sequence[int], available: Sequence[int]) -> None:
        listed = ", ".join(str(n) for n in available) or "none"
        missing = ", ".join(str(n) for n in numbers)
        super().__init__(f"disc {fingerprint} has no track {missing} (its tracks: {listed})")
        self.numbers = list(numbers)


class StoredTrack(BaseModel):
    """One title/track of a stored disc: what the last scan said, what the person chose, what became of it."""

    model_config = ConfigDict(frozen=True)

    number: int
    duration_seconds: float | None = None
    size_bytes: int | None = None
    chapters: int = 0
    video: VideoInfo | None = None
    audio: list[AudioStream] = Field(default_factory=list)
    subtitles: list[SubtitleStream] = Field(default_factory=list)
    source: dict[str, Any] = Field(default_factory=dict)
    segment_map: list[str] = Field(default_factory=list)
    makemkv_title_index: int | None = None
    classification: str = "other"
    confidence: float = 0.0
    duplicate_of: int | None = None
    present: bool = True
    selected: bool = False
    name: str | None = None
    track_type: str | None = None
    status: str = "pending"
    ripped_path: str | None = None
    rip_size_bytes: int | None = None
    rip_sha256: str | None = None  # set only for SHA-256 checksums (rips before BLAKE3); see rip_checksum
    rip_checksum: str | None = None  # "blake3:<hex>" or "sha256:<hex>" (amphigory_protocol.checksum)
    rip_error: str | None = None
    rip_started_at: str | None = None
    ripped_at: str | None = None
    transcoded_path: str | None = None
    library_path: str | None = None
    library_note: str | None = None  # why the track is not (or not quite) in the library
    season: int | None = None
    episode: int | None = None
    episode_end: int | None = None  # a title holding two episodes: sNNeMM-eKK
    # Not stored: the library path (relative to the library root) the track will be filed under with its current
    # names, filled in for the API and the review page (amphigory.library.plan).
    planned_library_path: str | None = None


class DiscSummary(BaseModel):
    """A stored disc in a list: no tracks, only their counts."""

    fingerprint: str
    title: str
    year: int | None = None
    disc_type: str | None = None
    volume_name: str | None = None
    scanned_at: str | None = None
    updated_at: str | None = None
    track_count: int = 0
    selected_count: int = 0
    ripped_count: int = 0


class StoredDisc(BaseModel):
    """A stored disc with its tracks."""

    model_config = ConfigDict(frozen=True)

    fingerprint: str
    title: str
    year: int | None = None
    disc_type: str | None = None
    volume_name: str | None = None
    public_ids: PublicIds = Field(default_factory=PublicIds)
    imdb_id: str | None = None
    edition_notes: str | None = None
    notes: str | None = None
    processed_at: str | None = None
    scanned_at: str | None = None
    updated_at: str | None = None
    # The stored identification (amphigory.identify.result.Identification.to_json()), None before any look-up.
    identification: dict[str, Any] | None = None
    # Who named the disc: None (only its volume label: never filed under), "identification" (certain), "person".
    named_by: str | None = None
    artist: str | None = None  # a CD's album artist as the person gave it (None: the scan's CD-TEXT)
    version: int = 1  # counts saves: a save against an older version is refused
    tracks: list[StoredTrack] = Field(default_factory=list)

    def track(self, number: int) -> StoredTrack | None:
        return next((t for t in self.tracks if t.number == number), None)


class TrackUpdate(BaseModel):
    """The person's choices for one track; fields left out stay as they are."""

    number: int
    selected: bool | None = None
    name: str | None = Field(default=None, max_length=300)
    type: TitleType | None = None


class DiscUpdate(BaseModel):
    """The person's changes to a disc; fields left out stay as they are."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    year: int | None = Field(default=None, ge=1870, le=2200)
    artist: str | None = Field(default=None, max_length=300, description="a CD's album artist (null clears it)")
    tracks: list[TrackUpdate] = Field(default_factory=list)
