"""A minimal read-only UDF reader (ECMA-167, OSTA UDF 1.02-2.60): how every UDF disc image is read (`media.iso`).

`udf_descriptors` parses the descriptors, `udf_volume.UdfVolume` is the file system as a pure core over a
``read_sectors(lba, count) -> bytes`` callable, and `UdfMedia` here is the `DiscMedia` over an image file or
device. Every public name of the three is importable from here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from amphigory_daemon.media.base import DiscType, MediaBase, MediaError
from amphigory_daemon.media.bdmv_backup import bluray_type_with_backup
from amphigory_daemon.media.udf_descriptors import (
    SECTOR,
    TAG_AED,
    TAG_AVDP,
    TAG_EFE,
    TAG_FE,
    TAG_FID,
    TAG_FSD,
    TAG_IE,
    TAG_LVD,
    TAG_PD,
    TAG_PVD,
    TAG_TD,
    TAG_VDP,
    ReadSectors,
    UdfEntry,
    UdfError,
    check_tag,
    cs0,
    dstring,
)
from amphigory_daemon.media.udf_volume import UdfVolume

__all__ = [
    "SECTOR",
    "TAG_AED",
    "TAG_AVDP",
    "TAG_EFE",
    "TAG_FE",
    "TAG_FID",
    "TAG_FSD",
    "TAG_IE",
    "TAG_LVD",
    "TAG_PD",
    "TAG_PVD",
    "TAG_TD",
    "TAG_VDP",
    "ReadSectors",
    "UdfEntry",
    "UdfError",
    "UdfMedia",
    "UdfVolume",
    "check_tag",
    "cs0",
    "dstring",
]

_T = TypeVar("_T")


class UdfMedia(MediaBase):
    """A DVD or Blu-ray image file (or device) read through `UdfVolume`: what pure UDF 2.50 Blu-ray ISOs need.

    The volume name is the Primary Volume Descriptor's identifier (what libdvdread and libudfread report, and
    what `IsoMedia` uses), else a bridged image's ISO 9660 label (as `IsoMedia`), else the Logical Volume
    Identifier (what blkid reports as the label).
    """

    def __init__(self, path: Path) -> None:
        self._source = path
        self._fd = -1
        try:
            self._fd = os.open(path, os.O_RDONLY)
            size = os.lseek(self._fd, 0, os.SEEK_END)
        except OSError as e:
            self.close()
            raise MediaError(f"cannot open {path}: {e.strerror or e}") from e
        try:
            self._open_volume(size)
        except BaseException:
            self.close()  # whatever went wrong past os.open must not leak the descriptor
            raise

    def _open_volume(self, size: int) -> None:
        path = self._source
        try:
            self._udf = UdfVolume(self._read_sectors, size // SECTOR)
            names = {n.upper() for n in self._udf.listdir("")}
        except UdfError as e:
            raise UdfError(f"{path} is not a readable UDF disc image: {e}") from e
        top = next((t for t in ("VIDEO_TS", "BDMV") if t in names), None)
        if top is None:
            raise MediaError(f"{path} is a disc image but holds no VIDEO_TS or BDMV folder (not a video disc)")
        self._type: DiscType = "dvd" if top == "VIDEO_TS" else self._bluray_type()
        self._volume = self._udf.volume_id or self._iso9660_label() or self._udf.logical_volume_id

    def _iso9660_label(self) -> str:
        """A bridged image's ISO 9660 volume identifier ('' without one): what a DVD whose UDF side records no
        name goes by, as pycdlib reads it (so `IsoMedia` and this reader name every image alike)."""
        pvd = self._read_sectors(16, 1)
        return pvd[40:72].decode("latin-1").strip("\x00 ") if pvd[:6] == b"\x01CD001" else ""

    def _read_sectors(self, lba: int, count: int) -> bytes:
        want, parts, got = count * SECTOR, [], 0
        while got < want:
            try:
                chunk = os.pread(self._fd, want - got, lba * SECTOR + got)
            except OSError as e:
                raise UdfError(f"cannot read sector {lba} of {self._source}: {e.strerror or e}") from e
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _bluray_type(self) -> DiscType:
        return bluray_type_with_backup(self._head)

    def _head(self, relpath: str) -> bytes | None:
        return self.read(relpath)[:8] if self._udf.exists(relpath) else None

    def _call(self, what: Callable[[str], _T], relpath: str) -> _T:
        try:
            return what(relpath)
        except UdfError as e:
            if "not found" in str(e):
                raise UdfError(f"{relpath or '/'} not found on the disc in {self._source}") from e
            raise UdfError(f"cannot read {relpath} from {self._source}: {e}") from e

    def read(self, relpath: str) -> bytes:
        return self._call(self._udf.read, relpath)

    def listdir(self, relpath: str = "") -> list[str]:
        return self._call(self._udf.listdir, relpath)

    def size(self, relpath: str) -> int:
        return self._call(self._udf.size, relpath)

    def extents(self, relpath: str) -> list[tuple[int, int]]:
        """(byte offset in the image, length) of each run of a file, to stream multi-GB clips."""
        return self._call(self._udf.extents, relpath)

    def exists(self, relpath: str) -> bool:
        try:
            return self._udf.exists(relpath)
        except UdfError:
            return False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
