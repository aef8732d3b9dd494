"""What `amphigory worker` runs with (parsed in amphigory_cli.settings; nothing heavy is imported here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkerSettings:
    queue: str
    webapp_url: str
    token: str  # a secret: never logged
    data_dir: Path
    concurrency: int = 1
