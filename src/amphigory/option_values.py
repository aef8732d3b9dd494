"""What the command line's options name, apart from the webapp's settings: the default port, the transcode and
on-insert modes, the metadata services' URLs and `MetadataSettings`. amphigory.config (which re-exports them) adds
`WebappSettings`; `amphigory identify` imports this module alone, as creating that 28-field frozen dataclass costs
~2 ms of its start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
