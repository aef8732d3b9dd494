"""A disc stored as a folder: a disc folder holding VIDEO_TS or BDMV, or the VIDEO_TS / BDMV folder itself.

The volume name is the folder's name (for a bare VIDEO_TS or BDMV folder, its parent's), the convention of
folder backups: a copy named like the ISO's label fingerprints the same as the ISO. Names are matched exactly
first and then without regard to case, since some copying tools lower-case them.
"""

from __future__ import annotations

import os
from pathlib import Path

from amphigory_daemon.media.base import DiscType, MediaBase, MediaError, split_relpath
from amphigory_daemon.media.bdmv_backup import bluray_type_with_backup

_BDMV_MARKERS = ("index.bdmv", "PLAYLIST")
_DVD_MARKERS = ("VIDEO_TS.IFO",)


def _child(folder: Path, name: str) -> Path | None:
    """`folder / name`, or the entry whose name matches it without regard to case; None when there is none."""
    exact = folder / name
    if exact.exists():
        return exact
    try:
        entries = os.listdir(folder)
    except OSError:
        return None
    wanted = name.casefold()
    return next((folder / e for e in sorted(entries) if e.casefold() == wanted), None)


def _has_any(folder: Path, names: tuple[str, ...]) -> bool:
    return any(_child(folder, n) is not None for n in names)


def find_layout(folder: Path) -> tuple[str, Path, Path | None] | None:
    """("VIDEO_TS"|"BDMV", that folder, the disc root or None) for a folder that holds a disc, else None."""
    for top in ("VIDEO_TS", "BDMV"):
        inner = _child(folder, top)
        if inner is not None and inner.is_dir():
            return top, inner, folder
    if folder.name.upper() == "VIDEO_TS" or _has_any(folder, _DVD_MARKERS):
        return "VIDEO_TS", folder, folder.parent if folder.name.upper() == "VIDEO_TS" else None
    if folder.name.upper() == "BDMV" or _has_any(folder, _BDMV_MARKERS):
        return "BDMV", folder, folder.parent if folder.name.upper() == "BDMV" else None
    return None


class FolderMedia(MediaBase):
    """A DVD or Blu-ray read from a folder tree on a filesystem."""

    def __init__(self, folder: Path) -> None:
        layout = find_layout(folder)
        if layout is None:
            raise MediaError(
                f"{folder} is a folder but not a disc: it holds no VIDEO_TS or BDMV folder "
                "(point at the disc folder, or at its VIDEO_TS or BDMV folder)"
            )
        self._top, self._inner, self._root = layout
        self._source = folder
        named = self._root if self._root is not None else self._inner
        self._volume = named.resolve().name or str(named)
        self._type: DiscType = "dvd" if self._top == "VIDEO_TS" else self._bluray_type()

    def _bluray_type(self) -> DiscType:
        return bluray_type_with_backup(self._head)

    def _head(self, relpath: str) -> bytes | None:
        path = self._find(relpath)
        if path is None or not path.is_file():
            return None
        with open(path, "rb") as f:
            return f.read(8)

    def _find(self, relpath: str) -> Path | None:
        parts = split_relpath(relpath)
        if parts and parts[0].upper() == self._top:
            here: Path | None = self._inner
            parts = parts[1:]
        else:
            here = self._root
        for part in parts:
            if here is None:
                return None
            here = _child(here, part)
        return here

    def locate(self, relpath: str) -> Path:
        """Where a file of the disc is on the filesystem (its name matched without regard to case when needed);
        `MediaError` when the disc has no such file."""
        return self._file(relpath)

    def _file(self, relpath: str) -> Path:
        path = self._find(relpath)
        if path is None or not path.is_file():
            raise MediaError(f"{relpath} not found on the disc in {self._source}")
        return path

    def read(self, relpath: str) -> bytes:
        try:
            return self._file(relpath).read_bytes()
        except OSError as e:
            raise MediaError(f"cannot read {relpath} from {self._source}: {e.strerror or e}") from e

    def listdir(self, relpath: str = "") -> list[str]:
        if not split_relpath(relpath) and self._root is None:
            return [self._top]
        path = self._find(relpath)
        if path is None or not path.is_dir():
            raise MediaError(f"folder {relpath or '/'} not found on the disc in {self._source}")
        try:
            return sorted(os.listdir(path))
        except OSError as e:
            raise MediaError(f"cannot list {relpath} in {self._source}: {e.strerror or e}") from e

    def size(self, relpath: str) -> int:
        return self._file(relpath).stat().st_size

    def exists(self, relpath: str) -> bool:
        return self._find(relpath) is not None
