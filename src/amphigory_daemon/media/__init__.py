"""The one place that opens a disc's files: a folder, an ISO, a block device, or a CUE/BIN CD image.

`open_disc(path)` looks at what the path is and returns a `DiscMedia`; every failure is a `MediaError` whose
message says what was found and what to point at instead.
"""

from __future__ import annotations

from pathlib import Path

from amphigory_daemon.media.base import DiscMedia, DiscType, MediaError
from amphigory_daemon.media.cdimage import CueMedia, TocMedia, read_drive_toc
from amphigory_daemon.media.folder import FolderMedia
from amphigory_daemon.media.iso import IsoMedia, is_block_device, open_image
from amphigory_daemon.media.udf import UdfError, UdfMedia

__all__ = [
    "CueMedia",
    "DiscMedia",
    "DiscType",
    "FolderMedia",
    "IsoMedia",
    "MediaError",
    "TocMedia",
    "UdfError",
    "UdfMedia",
    "open_disc",
]

SHEET_SUFFIXES = (".cue", ".toc")


def open_disc(path: str | Path) -> DiscMedia:
    """Open whatever disc lies at `path`; the caller closes it (it is a context manager)."""
    p = Path(path)
    try:
        there = p.exists()
    except OSError as e:  # a name too long for the file system, and the like
        raise MediaError(f"cannot look at {p}: {e.strerror or e}") from e
    if not there:
        raise MediaError(f"{p} does not exist")
    if p.is_dir():
        return FolderMedia(p)
    if is_block_device(p):
        return _open_device(p)
    suffix = p.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        return CueMedia(p)
    if suffix == ".bin":
        for sheet in (p.with_suffix(".cue"), p.with_suffix(".toc")):
            if sheet.is_file():
                return CueMedia(sheet)
        raise MediaError(f"{p} is a raw CD image without its sheet: open the .cue (or .toc) that describes it")
    if not p.is_file():
        raise MediaError(f"{p} is not a file, folder or block device")
    return open_image(p)


def _open_device(device: Path) -> DiscMedia:
    """A drive or loop device: its filesystem (DVD, Blu-ray) when it has one, else an audio CD's TOC."""
    try:
        return open_image(device)
    except MediaError as first:
        try:
            return read_drive_toc(device)
        except MediaError:
            raise first from None
