"""Helpers the rip tests share (fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg

from amphigory_daemon.rip import RipJob

FFMPEG = str(imageio_ffmpeg.get_ffmpeg_exe())
JobFactory = Callable[..., RipJob]


def leftovers(root: Path) -> list[Path]:
    """Every file under ``root`` (partial files are hidden dot-files, so look at all)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
