"""The normalised scan result: what is on a disc, whichever reader (native or MakeMKV) produced it.

This is the scan JSON of DESIGN.md's fixed contracts: `amphigory scan --json` prints it, the daemon sends it in
`scan_completed`, and the webapp stores it under the disc's fingerprint.

The models are stdlib dataclasses, so a scan (`amphigory scan`, `identify`) never imports pydantic: importing it and
building pydantic models cost ~200 ms of a 270 ms scan. They keep the pydantic API their callers use
(`model_dump`, `model_dump_json`, `model_copy`, `model_fields`, and `model_validate`/`model_validate_json`, which
validate with pydantic, imported on first use, at the edges where outside data comes in). pydantic and FastAPI
accept these dataclasses inside their own models as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from amphigory_protocol.models import Model

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

TITLE_TYPES: tuple[str, ...] = get_args(TitleType)


@dataclass(kw_only=True)
class AudioStream(Model):
    language: str = ""  # ISO 639-2 where known ("eng"), ISO 639-1 from DVDs ("en"), "" when the disc says none
    codec: str = ""
    channels: int | None = None
    index: int | None = None  # position among the title's audio streams (0-based)


@dataclass(kw_only=True)
class SubtitleStream(Model):
    language: str = ""
    codec: str = ""
    index: int | None = None


@dataclass(kw_only=True)
class VideoInfo(Model):
    codec: str = ""
    width: int | None = None
    height: int | None = None
    standard: str | None = None  # "NTSC" / "PAL" for DVDs
    aspect: str | None = None  # "4:3", "16:9"
    frame_rate: float | None = None


@dataclass(kw_only=True)
class Classification(Model):
    type: TitleType = "other"
    confidence: float = 0.0  # 0..1
    duplicate_of: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.type not in TITLE_TYPES:  # a type from outside (a metadata service's label) is checked here
            raise ValueError(f"not a title type: {self.type!r} (one of {', '.join(TITLE_TYPES)})")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be between 0 and 1, not {self.confidence}")


@dataclass(kw_only=True)
class Title(Model):
    number: int
    name: str | None = None
    duration_seconds: float
    chapters: int = 0
    size_bytes: int = 0
    video: VideoInfo | None = None
    audio: list[AudioStream] = field(default_factory=list)
    subtitles: list[SubtitleStream] = field(default_factory=list)
    angles: int = 1
    # Where the title lives: {"kind": "dvd", "vts": 1, "ttn": 2, "pgc": 2} / {"kind": "bluray", "playlist":
    # "00800.mpls", "clips": [...]} / {"kind": "cd", "track": 3, "file": "x.bin", "start_sector": ...}.
    source: dict[str, Any] = field(default_factory=dict)
    # Ordered identifiers of the pieces of media the title plays; two titles with the same map are duplicates.
    segment_map: list[str] = field(default_factory=list)
    makemkv_title_index: int | None = None
    classification: Classification = field(default_factory=Classification)


@dataclass(kw_only=True)
class PublicIds(Model):
    """Ids that public databases use, computed alongside the fingerprint (DESIGN.md "Disc identity")."""

    dvd_disc_id: str | None = None  # libdvdread's: MD5 over the IFOs (TheDiscDB uses it too)
    thediscdb_content_hash: str | None = None  # MD5 over the disc's file sizes
    aacs_disc_hash: str | None = None  # SHA-1 of AACS/Unit_Key_RO.inf
    musicbrainz_disc_id: str | None = None
    freedb_id: str | None = None


@dataclass(kw_only=True)
class ScanResult(Model):
    fingerprint: str
    disc_type: DiscType
    volume_name: str | None = None
    public_ids: PublicIds = field(default_factory=PublicIds)
    backend: Literal["native", "makemkv"] = "native"
    title: str | None = None  # disc title where the disc says one (CD-TEXT album, MakeMKV CINFO name)
    artist: str | None = None  # CD-TEXT performer
    meta_title: str | None = None  # a Blu-ray's BDMV/META/DL/bdmt_*.xml disc title (English preferred)
    titles: list[Title] = field(default_factory=list)
    scan_ms: float | None = None
