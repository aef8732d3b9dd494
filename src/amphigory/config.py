"""Settings of the webapp. Parsed from options/`AMPHIGORY_*` variables in one place (amphigory_cli.settings).
The values the options name (port, modes, service URLs, `MetadataSettings`) live in amphigory.option_values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from amphigory.option_values import DEFAULT_PORT, MetadataSettings, OnInsert, TranscodeMode

__all__ = ["WebappSettings"]


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
    # Keep a rip in ripped/ once it is safely in the library (False: remove it, so rips do not fill the disk twice).
    keep_ripped: bool = False
    metadata: MetadataSettings = field(default_factory=MetadataSettings)
    # Identify each disc after its scan (DESIGN.md). Off for an app built in code, so that tests never reach the
    # real services unless they point `metadata` at stand-ins; `amphigory serve` turns it on.
    identify: bool = False
    # Hands-free mode (DESIGN.md): what to do on insert, the countdown before ripping, eject when done, and the
    # Apprise URLs told when a disc is done, needs review or failed (secrets: never logged or echoed in full).
    on_insert: OnInsert = "manual"
    auto_rip_delay: float = 20.0
    eject_when_done: bool = True
    notify: tuple[str, ...] = ()
    # Per-drive on-insert rules overriding `on_insert` (drive_id -> "manual" | "rip").
    drive_on_insert: tuple[tuple[str, OnInsert], ...] = ()
    # Media servers told to look at a folder after filing (tokens are secrets); None: not told.
    plex_url: str | None = None
    plex_token: str | None = None
    plex_section: int | None = None
    jellyfin_url: str | None = None
    jellyfin_api_key: str | None = None
    # The library's root folder (default <data_dir>/library).
    library: Path | None = None
    # The job queue: "sqlite" (a file in the data folder) or "redis://host:port/db"; local workers to run.
    queue: str = "sqlite"
    workers: int = 1
    # How a transcode is made: `auto` (a preset by source) / a HandBrake preset / an exported JSON preset's name
    # (<data-dir>/presets/*.json); the audio and subtitle languages kept (empty: all).
    transcode_preset: str = "auto"
    transcode_languages: tuple[str, ...] = ()
    # A job whose worker says nothing for this long runs again on another worker.
    worker_timeout: float = 30.0

    @property
    def database_path(self) -> Path:
        return self.data_dir / "amphigory.db"

    @property
    def ripped_dir(self) -> Path:
        return self.data_dir / "ripped"

    @property
    def library_dir(self) -> Path:
        return self.library if self.library is not None else self.data_dir / "library"

    @property
    def presets_dir(self) -> Path:
        return self.data_dir / "presets"

    def on_insert_for(self, drive_id: str) -> OnInsert:
        """The on-insert rule of one drive: its own, else the global one."""
        return dict(self.drive_on_insert).get(drive_id, self.on_insert)
