"""What every opened disc offers: the `DiscMedia` interface, its error, and path checks shared by the readers.

A relpath names a file the way it sits on the disc, with ``/`` between parts and no leading slash:
``VIDEO_TS/VIDEO_TS.IFO``, ``BDMV/PLAYLIST/00800.mpls``, ``AACS/Unit_Key_RO.inf``; ``""`` is the disc's root.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, Self, runtime_checkable

if TYPE_CHECKING:  # only a CD image builds a sheet (media.cdimage imports the parser): a DVD never loads it
    from amphigory_daemon.formats.cue import CueSheet

DiscType = Literal["dvd", "bluray", "uhd", "cd"]


class MediaError(Exception):
    """A path that is not a readable disc (or a file missing from one), with what to do about it."""


@runtime_checkable
class DiscMedia(Protocol):
    """One opened disc, whatever it is stored as (folder, ISO, device, CUE/BIN image)."""

    @property
    def disc_type(self) -> DiscType: ...

    @property
    def volume_name(self) -> str: ...

    @property
    def source(self) -> Path:
        """The path the disc was opened from."""
        ...

    @property
    def cue_sheet(self) -> CueSheet | None:
        """For a CD image, its parsed sheet; None for DVDs and Blu-rays."""
        ...

    @property
    def bin_paths(self) -> tuple[Path, ...]:
        """For a CD image, the image files the sheet names, in sheet order; () otherwise."""
        ...

    @property
    def file_sizes(self) -> Mapping[str, int]:
        """For a CD image, each sheet FILE name's audio size in bytes (what `formats.cue` lays out); {} otherwise."""
        ...

    def read(self, relpath: str) -> bytes: ...

    def listdir(self, relpath: str = "") -> list[str]: ...

    def size(self, relpath: str) -> int: ...

    def exists(self, relpath: str) -> bool: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def split_relpath(relpath: str) -> list[str]:
    """The parts of a relpath; raises `MediaError` for anything that could leave the disc (``..``, absolute)."""
    text = relpath.replace("\\", "/")
    if text.startswith("/") or "\x00" in text:
        raise MediaError(f"not a path inside the disc: {relpath!r}")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise MediaError(f"not a path inside the disc: {relpath!r}")
    return parts


class MediaBase:
    """What every medium shares: its type, volume name and source as set by the subclass, context-manager
    plumbing, and the CD-only defaults that DVD and Blu-ray media keep."""

    _type: DiscType
    _volume: str
    _source: Path

    @property
    def disc_type(self) -> DiscType:
        return self._type

    @property
    def volume_name(self) -> str:
        return self._volume

    @property
    def source(self) -> Path:
        return self._source

    @property
    def cue_sheet(self) -> CueSheet | None:
        return None

    @property
    def bin_paths(self) -> tuple[Path, ...]:
        return ()

    @property
    def file_sizes(self) -> Mapping[str, int]:
        return {}

    def close(self) -> None:
        """Release what the media holds open (nothing, unless a subclass says otherwise)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def bluray_type(index_head: bytes) -> DiscType:
    """``uhd`` for a version-0300 index.bdmv or playlist header (INDX0300 / MPLS0300), else ``bluray``."""
    return "uhd" if index_head[4:8] == b"0300" else "bluray"
