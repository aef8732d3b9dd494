"""Settings of the webapp. Parsed from options/`AMPHIGORY_*` variables in one place (amphigory_cli.settings).

`WebappSettings` (amphigory.webapp_config) is loaded on first use (PEP 562): `amphigory identify` reads its options
from here without building the webapp's settings (a frozen dataclass of 28 fields costs ~2 ms to create).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from amphigory.webapp_config import WebappSettings

DEFAULT_PORT = 6199
# How a rip is filed into the library: as it is (hard link or copy), or transcoded by HandBrakeCLI or ffmpeg.
TranscodeMode = Literal["none", "handbrake", "ffmpeg"]
TRANSCODE_MODES: tuple[TranscodeMode, ...] = ("none", "handbrake", "ffmpeg")
# What happens when a disc goes in: nothing until a person asks (manual), or hands-free ripping (rip).
OnInsert = Literal["manual", "rip"]
ON_INSERT_MODES: tuple[OnInsert, ...] = ("manual", "rip")

TMDB_URL = "https://api.themoviedb.org/3"
THEDISCDB_URL = "https://thediscdb.com/graphql"
MUSICBRAINZ_URL = "https://musicbrainz.org/ws/2"
COVERART_URL = "https://coverartarchive.org"


@dataclass(frozen=True)
class MetadataSettings:
    """Where identification looks things up (DESIGN.md "Knowing what a disc is"); `offline`: nowhere."""

    tmdb_token: str | None = None  # a secret: never logged, never in an API answer
    tmdb_url: str = TMDB_URL
    thediscdb_url: str = THEDISCDB_URL
    musicbrainz_url: str = MUSICBRAINZ_URL
    coverart_url: str = COVERART_URL
    offline: bool = False


def __getattr__(name: str) -> object:
    if name == "WebappSettings":
        from amphigory.webapp_config import WebappSettings

        return WebappSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COVERART_URL",
    "DEFAULT_PORT",
    "MUSICBRAINZ_URL",
    "ON_INSERT_MODES",
    "THEDISCDB_URL",
    "TMDB_URL",
    "TRANSCODE_MODES",
    "MetadataSettings",
    "OnInsert",
    "TranscodeMode",
    "WebappSettings",
]
