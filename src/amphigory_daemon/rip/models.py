"""What a rip is asked to do (`RipJob`), what it reports while running (`RipProgress`) and what it made
(`RipOutcome`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from amphigory_protocol.checksum import Checksum
from amphigory_protocol.disc import DiscType, Title

BackendChoice = Literal["auto", "native", "makemkv"]
OnExists = Literal["fail", "rename", "replace"]


@dataclass(frozen=True)
class RipJob:
    """One title of one disc to one file.

    ``source`` is the disc as the drive sees it: an ISO, a disc folder (holding ``VIDEO_TS`` or ``BDMV``), a
    ``.cue`` (with its ``.bin``) or a device node. The file goes to
    ``<output_root>/<safe disc_title>/<safe output_name>.mkv`` (``.flac`` for CD tracks).
    """

    source: Path
    disc_type: DiscType
    title: Title
    fingerprint: str
    output_root: Path
    disc_title: str
    output_name: str
    backend: BackendChoice = "auto"
    # True/False when the caller knows (a scan said so); None: look (AACS folder next to BDMV).
    encrypted: bool | None = None
    # The drive's device node, for MakeMKV's ``disc:N`` when ``source`` is not itself the device.
    device: str | None = None
    # "fail": RipError("exists") when the file is there; "rename": use "<name> (2)", "<name> (3)", ...;
    # "replace": a re-rip, whose finished and verified file takes the place of ``replaces`` (an earlier rip of the
    # same title); any other file in the way still fails with "exists".
    on_exists: OnExists = "fail"
    replaces: Path | None = None
    # CD tags; None takes them from the cue's CD-TEXT (ARTIST, ALBUM) and computes the MusicBrainz disc id.
    artist: str | None = None
    album: str | None = None
    musicbrainz_disc_id: str | None = None
    # Tool paths; None: imageio-ffmpeg's ffmpeg, ``makemkvcon`` from PATH.
    ffmpeg: str | None = None
    makemkvcon: str | None = None


@dataclass(frozen=True)
class RipProgress:
    """A progress report: percent of the title, bytes written so far, bytes per second and seconds to go."""

    percent: float
    bytes_written: int
    speed_bps: float
    eta_seconds: float | None


@dataclass(frozen=True)
class RipOutcome:
    """The finished, verified file: its final path, size, probed duration and checksum (BLAKE3)."""

    path: Path
    size_bytes: int
    duration_seconds: float
    checksum: Checksum

    @property
    def sha256(self) -> str | None:
        """The bare SHA-256 hex when the checksum is one (older rips); None for BLAKE3."""
        return self.checksum.sha256
