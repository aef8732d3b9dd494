"""Settings of a daemon. Parsed from options, `AMPHIGORY_*` variables and daemon.toml in one place
(amphigory_cli.settings); the daemon itself only sees this plain value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Backend = Literal["auto", "image", "linux", "macos"]


def default_daemon_id() -> str:
    """`user@host`: stable across restarts, distinct across machines."""
    # imported here: every command that parses settings loads this module (`amphigory identify` among them)
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "amphigory"
    return f"{user}@{socket.gethostname()}"


def daemon_version() -> str:
    """The installed amphigory's version, what a daemon reports in its hello ("0" when not installed)."""
    from importlib import metadata  # imported here: ~40 ms that only a starting daemon needs to spend

    try:
        return metadata.version("amphigory")
    except metadata.PackageNotFoundError:
        return "0"


@dataclass(frozen=True)
class DaemonSettings:
    webapp_url: str = "ws://127.0.0.1:6199/ws"
    token: str | None = None
    daemon_id: str = field(default_factory=default_daemon_id)
    image_drives: tuple[Path, ...] = ()
    backend: Backend = "auto"
    data_dir: Path = field(default_factory=lambda: Path("data"))
    # Where finished rips go; defaults to <data-dir>/ripped (shared with the webapp in the demo).
    output_dir: Path | None = None

    @property
    def ripped_dir(self) -> Path:
        return self.output_dir if self.output_dir is not None else self.data_dir / "ripped"
