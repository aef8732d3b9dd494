"""Settings of the webapp. Parsed from options/`AMPHIGORY_*` variables in one place (amphigory_cli.settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DEFAULT_PORT = 6199
# How a rip is filed into the library: as it is (hard link or copy), or transcoded by HandBrakeCLI or ffmpeg.
TranscodeMode = Literal["none", "handbrake", "ffmpeg"]
TRANSCODE_MODES: tuple[TranscodeMode, ...] = ("none", "handbrake", "ffmpeg")


@dataclass(frozen=True)
class WebappSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=lambda: Path("data"))
    # Shared secret daemons present as `Authorization: Bearer <token>`. None = no daemon may connect.
    token: str | None = None
    # Requests to daemons that do not answer in this many seconds fail with a timeout error.
    request_timeout: float = 10.0
    # Scan a disc as soon as it goes in when its fingerprint is not stored yet. Off for an app built in code
    # (tests drive scans themselves); `amphigory serve` and `amphigory demo` turn it on (--auto-scan).
    auto_scan: bool = False
    transcode: TranscodeMode = "none"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "amphigory.db"

    @property
    def ripped_dir(self) -> Path:
        return self.data_dir / "ripped"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"
