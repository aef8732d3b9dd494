"""A disc image file or block device, unmounted: `open_image` picks the reader, `IsoMedia` is the pycdlib one.

Files are looked up through UDF when the image has it (the filesystem players use) and through ISO 9660
otherwise. The volume name is the UDF Primary Volume Descriptor's identifier, as libdvdread reports it,
falling back to the ISO 9660 volume identifier. An image whose Volume Recognition Sequence names UDF (every
DVD, and Blu-ray ISOs, which are pure UDF 2.50 with no ISO 9660 side pycdlib could open) is read with the small
`media.udf.UdfMedia`; pycdlib reads ISO 9660-only images, and any UDF image that reader refuses. Importing
pycdlib and parsing every directory record of the image cost about a third of a DVD's `amphigory scan`.
"""

from __future__ import annotations

import io
import os
import stat
import struct
from pathlib import Path
from typing import BinaryIO

from amphigory_daemon.media.base import DiscMedia, DiscType, MediaBase, MediaError, split_relpath
from amphigory_daemon.media.bdmv_backup import bluray_type_with_backup

SECTOR = 2048
_UDF_ANCHOR_SECTOR = 256


def _dstring(raw: bytes) -> str:
    """An OSTA CS0 dstring (compression id, characters, length in the last byte) as text."""
    if len(raw) < 2 or raw[-1] < 1:
        return ""
    body = raw[1 : raw[-1]]
    if raw[0] == 16:
        return body.decode("utf-16-be", errors="replace").rstrip("\x00 ")
    return body.decode("latin-1").rstrip("\x00 ")


class UdfOnlyImage(MediaError):
    """An image pycdlib cannot open whose Volume Recognition Sequence names a UDF volume (NSR02/NSR03)."""


def _udf_recognition(fp: BinaryIO) -> bool:
    """Whether the Volume Recognition Sequence (sectors 16..) names a UDF volume (NSR02 or NSR03)."""
    for sector in range(16, 32):
        fp.seek(sector * SECTOR)
        head = fp.read(7)
        if len(head) < 6:
            return False
        if head[1:6] in (b"NSR02", b"NSR03"):
            return True
        if head[1:6] not in (b"BEA01", b"CD001", b"BOOT2", b"CDW02"):
            return False
    return False


class IsoMedia(MediaBase):
    """A disc image (or device) with a UDF and/or ISO 9660 filesystem holding VIDEO_TS or BDMV."""

    def __init__(self, path: Path) -> None:
        import pycdlib  # imported here, not at module level: only an opened image pays for it (~50 ms)
        from pycdlib.pycdlibexception import PyCdlibException

        self._source = path
        try:
            self._fp: BinaryIO = open(path, "rb")  # noqa: SIM115 - held until close()
        except OSError as e:
            raise MediaError(f"cannot open {path}: {e.strerror or e}") from e
        self._iso = pycdlib.PyCdlib()
        self._dirs: dict[str, dict[str, str]] = {}
        try:
            self._iso.open_fp(self._fp)
        except (PyCdlibException, OSError, ValueError, struct.error) as e:
            try:
                pure_udf = _udf_recognition(self._fp)
            except OSError:
                pure_udf = False
            self._fp.close()
            if pure_udf:
                raise UdfOnlyImage(f"{path} has a UDF file system that pycdlib cannot read: {e}") from e
            raise MediaError(f"{path} is not a readable disc image (no ISO 9660 or UDF filesystem): {e}") from e
        try:
            self._udf = bool(self._iso.has_udf())
            self._top = self._find_top()
            self._type: DiscType = "dvd" if self._top == "VIDEO_TS" else self._bluray_type()
            self._volume = self._read_volume_name()
        except BaseException:
            self.close()  # a failure past open_fp (a bad index.bdmv, a read error) must not leak the image
            raise

    def _find_top(self) -> str:
        names = {n.upper() for n in self._list_root()}
        for top in ("VIDEO_TS", "BDMV"):
            if top in names:
                return top
        raise MediaError(f"{self._source} is a disc image but holds no VIDEO_TS or BDMV folder (not a video disc)")

    def _bluray_type(self) -> DiscType:
        return bluray_type_with_backup(self._head)

    def _head(self, relpath: str) -> bytes | None:
        return self.read(relpath)[:8] if self.exists(relpath) else None

    def _read_volume_name(self) -> str:
        if self._udf:
            for pvd in self._iso.udf_main_descs.pvds:
                name = _dstring(bytes(pvd.vol_ident))
                if name:
                    return name
        raw = self._iso.pvd.volume_identifier
        return (raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)).strip("\x00 ")

    def _list_root(self) -> list[str]:
        return sorted(self._entries("/"))

    def _entries(self, disc_path: str) -> dict[str, str]:
        """A directory's entries: the name a person reads -> the identifier the image stores (ISO ``;1``)."""
        from pycdlib.pycdlibexception import PyCdlibException

        cached = self._dirs.get(disc_path)
        if cached is not None:
            return cached
        kind = "udf_path" if self._udf else "iso_path"
        try:
            children = self._iso.list_children(**{kind: disc_path})
        except PyCdlibException as e:
            raise MediaError(f"folder {disc_path} not found on the disc in {self._source}") from e
        out: dict[str, str] = {}
        for child in children:
            if child is None or (not self._udf and (child.is_dot() or child.is_dotdot())):
                continue
            raw = child.file_identifier().decode("utf-8", errors="replace")
            out[raw if self._udf else raw.split(";", 1)[0].rstrip(".")] = raw
        self._dirs[disc_path] = out
        return out

    def _disc_path(self, relpath: str) -> str | None:
        """The image's own spelling of a relpath (looked up without regard to case), or None when absent."""
        here = "/"
        for part in split_relpath(relpath):
            try:
                entries = self._entries(here)
            except MediaError:
                return None
            match = part if part in entries else next((n for n in entries if n.casefold() == part.casefold()), None)
            if match is None:
                return None
            here = here.rstrip("/") + "/" + entries[match]
        return here

    def _record_args(self, relpath: str) -> dict[str, str]:
        path = self._disc_path(relpath)
        if path is None:
            raise MediaError(f"{relpath} not found on the disc in {self._source}")
        return {"udf_path" if self._udf else "iso_path": path}

    def read(self, relpath: str) -> bytes:
        from pycdlib.pycdlibexception import PyCdlibException

        args = self._record_args(relpath)
        out = io.BytesIO()
        try:
            self._iso.get_file_from_iso_fp(out, **args)
        except (PyCdlibException, OSError) as e:
            raise MediaError(f"cannot read {relpath} from {self._source}: {e}") from e
        return out.getvalue()

    def listdir(self, relpath: str = "") -> list[str]:
        path = self._disc_path(relpath)
        if path is None:
            raise MediaError(f"folder {relpath or '/'} not found on the disc in {self._source}")
        return sorted(self._entries(path))

    def size(self, relpath: str) -> int:
        from pycdlib.pycdlibexception import PyCdlibException

        args = self._record_args(relpath)
        try:
            return int(self._iso.get_record(**args).get_data_length())
        except PyCdlibException as e:
            raise MediaError(f"cannot read {relpath} from {self._source}: {e}") from e

    def exists(self, relpath: str) -> bool:
        return self._disc_path(relpath) is not None

    def close(self) -> None:
        from pycdlib.pycdlibexception import PyCdlibException

        try:
            self._iso.close()
        except PyCdlibException:
            pass  # never opened: nothing to release
        self._fp.close()


def names_udf(path: Path) -> bool:
    """Whether the image (or device) at `path` says it holds a UDF file system; False when it cannot be read."""
    try:
        with open(path, "rb") as fp:
            return _udf_recognition(fp)
    except OSError:
        return False


def open_image(path: Path) -> DiscMedia:
    """An image file or device: a UDF one through UdfMedia, else (or when UdfMedia refuses it) through pycdlib."""
    from amphigory_daemon.media.udf import UdfMedia

    if names_udf(path):
        try:
            return UdfMedia(path)
        except MediaError:
            pass  # pycdlib may read what UdfMedia refuses; when neither can, the errors are pycdlib's, as below
    try:
        return IsoMedia(path)
    except UdfOnlyImage:
        return UdfMedia(path)


def is_block_device(path: Path) -> bool:
    """Whether the path is a block device (a drive, a loop device)."""
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False
