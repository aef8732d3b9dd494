"""The one place that opens a disc's files: a folder, an ISO, a block device, or a CUE/BIN CD image.

`open_disc(path)` looks at what the path is and returns a `DiscMedia`; every failure is a `MediaError` whose
message says what was found and what to point at instead.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from amphigory_daemon.media.base import DiscMedia, DiscType, MediaError
from amphigory_daemon.media.iso import IsoMedia, is_block_device, open_image

if TYPE_CHECKING:
    from amphigory_daemon.media.cdimage import CueMedia, TocMedia
    from amphigory_daemon.media.folder import FolderMedia
    from amphigory_daemon.media.udf import UdfError, UdfMedia

# Readers imported when first used (PEP 562): a DVD image never pays for the CD sheet parsers nor the UDF reader
# (pycdlib reads it), a CD never for folders.
_LAZY = {"CueMedia": "cdimage", "TocMedia": "cdimage", "read_drive_toc": "cdimage", "FolderMedia": "folder",
         "UdfError": "udf", "UdfMedia": "udf"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
        from amphigory_daemon.media.folder import FolderMedia

        return FolderMedia(p)
    if is_block_device(p):
        return _open_device(p)
    suffix = p.suffix.lower()
    if suffix in SHEET_SUFFIXES or suffix == ".bin":
        return _open_cd_image(p)
    if not p.is_file():
        raise MediaError(f"{p} is not a file, folder or block device")
    return open_image(p)


def _open_cd_image(p: Path) -> DiscMedia:
    """A CUE/TOC sheet, or the raw .bin beside one."""
    from amphigory_daemon.media.cdimage import CueMedia

    if p.suffix.lower() in SHEET_SUFFIXES:
        return CueMedia(p)
    for sheet in (p.with_suffix(".cue"), p.with_suffix(".toc")):
        if sheet.is_file():
            return CueMedia(sheet)
    raise MediaError(f"{p} is a raw CD image without its sheet: open the .cue (or .toc) that describes it")


def _open_device(device: Path) -> DiscMedia:
    """A drive or loop device: its filesystem (DVD, Blu-ray) when it has one, else an audio CD's TOC."""
    try:
        return open_image(device)
    except MediaError as first:
        from amphigory_daemon.media.cdimage import read_drive_toc

        try:
            return read_drive_toc(device)
        except MediaError:
            raise first from None
