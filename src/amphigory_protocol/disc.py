"""The normalised scan result: what is on a disc, whichever reader (native or MakeMKV) produced it.

This is the scan JSON of DESIGN.md's fixed contracts: `amphigory scan --json` prints it, the daemon sends it in
`scan_completed`, and the webapp stores it under the disc's fingerprint.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DiscType = Literal["dvd", "bluray", "uhd", "cd"]

TitleType = Literal[
    "main_feature",
    "alternate_feature",
    "episode",
    "trailer",
    "featurette",
    "deleted_scene",
    "behind_the_scenes",
    "interview",
    "extra",
    "duplicate",
    "play_all",
    "other",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AudioStream(_Model):
    language: str = ""  # ISO 639-2 where known ("eng"), ISO 639-1 from DVDs ("en"), "" when the disc says none
    codec: str = ""
    channels: int | None = None
    index: int | None = None  # position among the title's audio streams (0-based)


class SubtitleStream(_Model):
    language: str = ""
    codec: str = ""
    index: int | None = None


class VideoInfo(_Model):
    codec: str = ""
    width: int | None = None
    height: int | None = None
    standard: str | None = None  # "NTSC" / "PAL" for DVDs
    aspect: str | None = None  # "4:3", "16:9"
    frame_rate: float | None = None


class Classification(_Model):
    type: TitleType = "other"
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate_of: int | None = None
    reason: str = ""


class Title(_Model):
    number: int
    name: str | None = None
    duration_seconds: float
    chapters: int = 0
    size_bytes: int = 0
    video: VideoInfo | None = None
    audio: list[AudioStream] = Field(default_factory=list)
    subtitles: list[SubtitleStream] = Field(default_factory=list)
    angles: int = 1
    # Where the title lives: {"kind": "dvd", "vts": 1, "ttn": 2, "pgc": 2} / {"kind": "bluray", "playlist":
    # "00800.mpls", "clips": [...]} / {"kind": "cd", "track": 3, "file": "x.bin", "start_sector": ...}.
    source: dict[str, Any] = Field(default_factory=dict)
    # Ordered identifiers of the pieces of media the title plays; two titles with the same map are duplicates.
    segment_map: list[str] = Field(default_factory=list)
    makemkv_title_index: int | None = None
    classification: Classification = Field(default_factory=Classification)


class PublicIds(_Model):
    """Ids that public databases use, computed alongside the fingerprint (DESIGN.md "Disc identity")."""

    dvd_disc_id: str | None = None  # libdvdread's: MD5 over the IFOs (TheDiscDB uses it too)
    thediscdb_content_hash: str | None = None  # MD5 over the disc's file sizes
    aacs_disc_hash: str | None = None  # SHA-1 of AACS/Unit_Key_RO.inf
    musicbrainz_disc_id: str | None = None
    freedb_id: str | None = None


class ScanResult(_Model):
    fingerprint: str
    disc_type: DiscType
    volume_name: str | None = None
    public_ids: PublicIds = Field(default_factory=PublicIds)
    backend: Literal["native", "makemkv"] = "native"
    title: str | None = None  # disc title where the disc says one (CD-TEXT album, MakeMKV CINFO name)
    artist: str | None = None  # CD-TEXT performer
    meta_title: str | None = None  # a Blu-ray's BDMV/META/DL/bdmt_*.xml disc title (English preferred)
    titles: list[Title] = Field(default_factory=list)
    scan_ms: float | None = None
