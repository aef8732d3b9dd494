"""A minimal read-only UDF reader (ECMA-167, OSTA UDF 1.02-2.60) for disc images that pycdlib cannot open.

Blu-ray images are pure UDF 2.50: no ISO 9660 side, and the file system's own structures live in a metadata
file reached through a type 2 (metadata) partition map. `UdfVolume` is a pure core over a
``read_sectors(lba, count) -> bytes`` callable, so it reads a file, a block device or bytes alike; `UdfMedia`
is the `DiscMedia` over an image file or device. Every descriptor's tag (id, checksum, CRC, location) is
checked, every loop is bounded by the data, and anything malformed raises `UdfError`.
"""

from __future__ import annotations

import binascii
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from amphigory_daemon.media.base import DiscType, MediaBase, MediaError, bluray_type, split_relpath

SECTOR = 2048
ReadSectors = Callable[[int, int], bytes]
_T = TypeVar("_T")

TAG_PVD, TAG_AVDP, TAG_VDP, TAG_PD, TAG_LVD, TAG_TD = 1, 2, 3, 5, 6, 8
TAG_FSD, TAG_FID, TAG_AED, TAG_IE, TAG_FE, TAG_EFE = 256, 257, 258, 259, 261, 266
_ANCHORS = (256,)  # plus N-1 and N-257, which depend on the image size
_MAX_VDS_SECTORS = 512  # a sequence is 16 sectors on every disc; a longer one is noise
_MAX_HOPS = 64  # VDP, indirect-entry and allocation-extent chains
_MAX_DIR_BYTES = 16 << 20
_FID_DELETED, _FID_DIRECTORY, _FID_PARENT = 0x04, 0x02, 0x08
_META_ID = b"*UDF Metadata Partition"
_SPARABLE_ID = b"*UDF Sparable Partition"


class UdfError(MediaError):
    """A UDF structure that is missing, inconsistent or unsupported."""


def _u16(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<H", b, o)[0])


def _u32(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<I", b, o)[0])


def _u64(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<Q", b, o)[0])


def check_tag(buf: bytes, want: tuple[int, ...], location: int | None) -> int:
    """The id of the descriptor tag at the start of `buf` once its checksum, CRC and location are right."""
    if len(buf) < 16:
        raise UdfError("descriptor cut short")
    tag_id = _u16(buf, 0)
    if sum(buf[0:4]) + sum(buf[5:16]) & 0xFF != buf[4]:
        raise UdfError(f"descriptor tag checksum wrong (tag id {tag_id})")
    if tag_id not in want:
        raise UdfError(f"expected descriptor {'/'.join(map(str, want))}, found {tag_id}")
    crc, crc_len = _u16(buf, 8), _u16(buf, 10)
    if 16 + crc_len > len(buf) or binascii.crc_hqx(buf[16 : 16 + crc_len], 0) != crc:
        raise UdfError(f"descriptor {tag_id} CRC wrong")
    if location is not None and _u32(buf, 12) != location:
        raise UdfError(f"descriptor {tag_id} recorded for block {_u32(buf, 12)} found at {location}")
    return tag_id


def cs0(raw: bytes) -> str:
    """OSTA CS0 d-characters: a compression id (8 or 16; 254/255 in UDF 2.x) and the characters."""
    if not raw:
        return ""
    comp, body = raw[0], raw[1:]
    if comp in (8, 254):
        return body.decode("latin-1")
    if comp in (16, 255) and len(body) % 2 == 0:
        return body.decode("utf-16-be", errors="replace")
    raise UdfError(f"name with unknown CS0 compression id {comp}")


def dstring(field: bytes) -> str:
    """A fixed-size dstring: CS0 characters with their length in the last byte; '' when unrecorded."""
    n = field[-1] if field else 0
    if n == 0:
        return ""
    if n >= len(field):
        raise UdfError("dstring length runs past its field")
    return cs0(field[:n]).rstrip("\x00 ")


@dataclass(frozen=True)
class _Physical:
    """A partition laid out as-is from `start` (sparable partitions read the same on an undamaged image)."""

    start: int
    blocks: int

    def runs(self, lbn: int, length: int) -> list[tuple[int, int]]:
        if lbn + -(-length // SECTOR) > self.blocks:
            raise UdfError(f"block {lbn} (+{length} bytes) lies outside its partition")
        return [((self.start + lbn) * SECTOR, length)]


@dataclass(frozen=True)
class _Metadata:
    """A UDF 2.50 metadata partition: its blocks are the bytes of the metadata file, at `runs` in the image."""

    file_runs: tuple[tuple[int, int], ...]

    def runs(self, lbn: int, length: int) -> list[tuple[int, int]]:
        pos, out, start = lbn * SECTOR, [], 0
        for offset, size in self.file_runs:
            if length and pos < start + size:
                take = min(length, start + size - pos)
                out.append((offset + pos - start, take))
                pos, length = pos + take, length - take
            start += size
        if length:
            raise UdfError(f"metadata block {lbn} lies past the end of the metadata file")
        return out


_Partition = _Physical | _Metadata


@dataclass(frozen=True)
class _Node:
    """A File Entry: what it is, its size, where its bytes lie (None: unrecorded zeros) and its logical blocks."""

    is_dir: bool
    size: int
    runs: tuple[tuple[int | None, int], ...]
    blocks: tuple[tuple[int, int], ...]  # (logical block, bytes) per extent, for FID tag locations


@dataclass(frozen=True)
class UdfEntry:
    """One name in a directory."""

    name: str
    is_dir: bool
    icb: tuple[int, int]  # (partition reference, logical block)


class UdfVolume:
    """A UDF file system read through `read_sectors` from an image of `sector_count` 2048-byte sectors."""

    def __init__(self, read_sectors: ReadSectors, sector_count: int) -> None:
        self._read_sectors = read_sectors
        self._sectors = sector_count
        self._nodes: dict[tuple[int, int], _Node] = {}
        self._dirs: dict[tuple[int, int], dict[str, UdfEntry]] = {}
        avdp = self._anchor()
        main, reserve = (_u32(avdp, 16), _u32(avdp, 20)), (_u32(avdp, 24), _u32(avdp, 28))
        try:
            descs = self._sequence(*main)
        except UdfError:
            descs = self._sequence(*reserve)
        self.volume_id, self.logical_volume_id = descs[0], descs[1]
        self._maps: list[_Partition] = descs[2]
        self._root = self._file_set(descs[3])

    # ------------------------------------------------------------------ sectors and volume structures

    def read_at(self, offset: int, length: int) -> bytes:
        """`length` bytes of the image from byte `offset`; a range past the image's end is malformed."""
        if offset < 0 or length < 0 or offset + length > self._sectors * SECTOR:
            raise UdfError(f"bytes {offset}..{offset + length} lie outside the image")
        if length == 0:
            return b""
        first, last = offset // SECTOR, (offset + length - 1) // SECTOR
        data = self._read_sectors(first, last - first + 1)
        if len(data) != (last - first + 1) * SECTOR:
            raise UdfError(f"sectors {first}..{last} could not be read")
        return data[offset - first * SECTOR : offset - first * SECTOR + length]

    def _sector(self, lba: int) -> bytes:
        return self.read_at(lba * SECTOR, SECTOR)

    def _anchor(self) -> bytes:
        for lba in (*_ANCHORS, self._sectors - 1, self._sectors - 257):
            if 0 <= lba < self._sectors:
                try:
                    buf = self._sector(lba)
                    check_tag(buf, (TAG_AVDP,), lba)
                    return buf
                except UdfError:
                    continue
        raise UdfError("no UDF Anchor Volume Descriptor Pointer (sector 256, N-1 or N-257)")

    def _sequence(self, length: int, lba: int) -> tuple[str, str, list[_Partition], tuple[int, int, int]]:
        """Volume id, logical volume id, partition maps and the File Set extent from one descriptor sequence."""
        pvd = lvd = None
        pds: dict[int, bytes] = {}
        seen: set[int] = set()
        count = min(length // SECTOR, _MAX_VDS_SECTORS)
        i = 0
        while i < count:
            here = lba + i
            buf = self._sector(here)
            if not any(buf):
                break  # an unrecorded sector ends a sequence as a Terminating Descriptor does
            tag = check_tag(buf, (TAG_PVD, TAG_VDP, 4, TAG_PD, TAG_LVD, 7, TAG_TD), here)
            i += 1
            if tag == TAG_TD:
                break
            if tag == TAG_VDP:
                if here in seen or len(seen) >= _MAX_HOPS:
                    raise UdfError("volume descriptor pointers loop")
                seen.add(here)
                count, lba, i = min(_u32(buf, 20) // SECTOR, _MAX_VDS_SECTORS), _u32(buf, 24), 0
            elif tag == TAG_PVD and pvd is None:
                pvd = buf
            elif tag == TAG_PD:
                pds.setdefault(_u16(buf, 22), buf)
            elif tag == TAG_LVD and lvd is None:
                lvd = buf
        if pvd is None or lvd is None or not pds:
            raise UdfError("volume descriptor sequence lacks a Primary, Partition or Logical Volume Descriptor")
        if _u32(lvd, 212) != SECTOR:
            raise UdfError(f"logical block size {_u32(lvd, 212)} is not {SECTOR}")
        fsd = (_u32(lvd, 248), _u32(lvd, 252), _u16(lvd, 256))
        return dstring(pvd[24:56]), dstring(lvd[84:212]), self._partition_maps(lvd, pds), fsd

    def _partition_maps(self, lvd: bytes, pds: dict[int, bytes]) -> list[_Partition]:
        table_len, count = _u32(lvd, 264), _u32(lvd, 268)
        if 440 + table_len > SECTOR or count > table_len // 6:
            raise UdfError("partition map table runs past the Logical Volume Descriptor")
        raw: list[tuple[bytes, int]] = []  # (kind, partition number) per map
        pos = 440
        for _ in range(count):
            kind, size = lvd[pos], lvd[pos + 1]
            if size < 6 or pos + size > 440 + table_len:
                raise UdfError("malformed partition map")
            m = lvd[pos : pos + size]
            if kind == 1:
                raw.append((b"physical", _u16(m, 4)))
            elif kind == 2 and size >= 64 and m[5:28] in (_META_ID, _SPARABLE_ID):
                raw.append((m, _u16(m, 38)))
            else:
                raise UdfError(f"unsupported partition map (type {kind}: {m[5:28].rstrip(bytes(1))!r})")
            pos += size
        maps: list[_Partition] = [self._physical(pds, number) for _, number in raw]
        for i, (m, number) in enumerate(raw):
            if m[5:28] == _META_ID:
                maps[i] = self._metadata(maps, pds, number, _u32(m, 40), _u32(m, 44))
        return maps

    def _physical(self, pds: dict[int, bytes], number: int) -> _Physical:
        pd = pds.get(number)
        if pd is None:
            raise UdfError(f"partition {number} has no Partition Descriptor")
        return _Physical(_u32(pd, 188), _u32(pd, 192))

    def _metadata(
        self, maps: list[_Partition], pds: dict[int, bytes], number: int, main: int, mirror: int
    ) -> _Metadata:
        maps.append(self._physical(pds, number))  # a reference the metadata file's entry can be read through
        ref = len(maps) - 1
        try:
            for lbn in (main, mirror):
                try:
                    node = self._load(maps, ref, lbn, (250, 251))
                except UdfError:
                    continue
                if any(offset is None for offset, _ in node.runs):
                    continue
                return _Metadata(tuple((o, n) for o, n in node.runs if o is not None))
        finally:
            maps.pop()
        raise UdfError("neither the metadata file nor its mirror is readable")

    def _file_set(self, fsd: tuple[int, int, int]) -> tuple[int, int]:
        _, lbn, ref = fsd
        buf = self._block(self._maps, ref, lbn)
        check_tag(buf, (TAG_FSD,), lbn)
        return _u16(buf, 408), _u32(buf, 404)  # the root directory ICB (long_ad at 400)

    # ------------------------------------------------------------------ file entries

    def _block(self, maps: list[_Partition], ref: int, lbn: int) -> bytes:
        if not 0 <= ref < len(maps):
            raise UdfError(f"partition reference {ref} names no partition map")
        return b"".join(self.read_at(o, n) for o, n in maps[ref].runs(lbn, SECTOR))

    def _load(self, maps: list[_Partition], ref: int, lbn: int, types: tuple[int, ...] = (4, 5)) -> _Node:
        """The File Entry at (ref, lbn), following Indirect Entries; `types` are the ICB file types allowed."""
        seen: set[tuple[int, int]] = set()
        while (ref, lbn) not in seen and len(seen) < _MAX_HOPS:
            seen.add((ref, lbn))
            buf = self._block(maps, ref, lbn)
            tag = check_tag(buf, (TAG_FE, TAG_EFE, TAG_IE), lbn)
            if tag != TAG_IE:
                return self._entry(maps, buf, ref, lbn, tag, types)
            lbn, ref = _u32(buf, 40), _u16(buf, 44)
        raise UdfError("indirect ICB entries loop")

    def _entry(self, maps: list[_Partition], buf: bytes, ref: int, lbn: int, tag: int, types: tuple[int, ...]) -> _Node:
        file_type, ad_type = buf[27], _u16(buf, 34) & 7
        if file_type not in types:
            raise UdfError(f"file entry of unexpected type {file_type}")
        head = 176 if tag == TAG_FE else 216
        l_ea, l_ad = _u32(buf, head - 8), _u32(buf, head - 4)
        size = _u64(buf, 56)
        if head + l_ea + l_ad > SECTOR:
            raise UdfError("file entry's attributes run past its block")
        if size > self._sectors * SECTOR:
            raise UdfError(f"file of {size} bytes is larger than the image")
        area = buf[head + l_ea : head + l_ea + l_ad]
        if ad_type == 3:
            if size > l_ad:
                raise UdfError("embedded file data shorter than the file")
            offset = maps[ref].runs(lbn, SECTOR)[0][0]
            return _Node(file_type == 4, size, ((offset + head + l_ea, size),), ((lbn, size),))
        if ad_type not in (0, 1):
            raise UdfError(f"unsupported allocation descriptor type {ad_type}")
        extents = self._allocation(maps, area, ad_type, ref, size)
        runs: list[tuple[int | None, int]] = []
        for recorded, ext_ref, ext_lbn, length in extents:
            if recorded:
                if not 0 <= ext_ref < len(maps):
                    raise UdfError(f"partition reference {ext_ref} names no partition map")
                runs.extend(maps[ext_ref].runs(ext_lbn, length))
            else:
                runs.append((None, length))
        return _Node(file_type == 4, size, tuple(runs), tuple((e[2], e[3]) for e in extents))

    def _allocation(
        self, maps: list[_Partition], area: bytes, ad_type: int, ref: int, size: int
    ) -> list[tuple[bool, int, int, int]]:
        """(recorded, partition ref, block, bytes) for each extent until `size` bytes are covered."""
        step = 8 if ad_type == 0 else 16
        out: list[tuple[bool, int, int, int]] = []
        total, hops, pos = 0, 0, 0
        while total < size:
            if pos + step > len(area):
                raise UdfError("allocation descriptors end before the file does")
            raw, lbn = _u32(area, pos), _u32(area, pos + 4)
            ext_ref = ref if ad_type == 0 else _u16(area, pos + 8)
            kind, length = raw >> 30, raw & 0x3FFFFFFF
            pos += step
            if length == 0:
                raise UdfError("allocation descriptors end before the file does")
            if kind == 3:  # the next extent of allocation descriptors
                hops += 1
                if hops > _MAX_HOPS:
                    raise UdfError("allocation extent chain too long (or looping)")
                buf = self._block(maps, ext_ref, lbn)
                check_tag(buf, (TAG_AED,), lbn)
                area, pos = buf[24 : 24 + min(_u32(buf, 20), SECTOR - 24)], 0
                continue
            take = min(length, size - total)
            out.append((kind == 0, ext_ref, lbn, take))
            total += take
        return out

    # ------------------------------------------------------------------ directories and paths

    def _node(self, icb: tuple[int, int]) -> _Node:
        node = self._nodes.get(icb)
        if node is None:
            node = self._nodes[icb] = self._load(self._maps, *icb)
        return node

    def _data(self, node: _Node) -> bytes:
        return b"".join(bytes(n) if o is None else self.read_at(o, n) for o, n in node.runs)

    def _entries(self, icb: tuple[int, int]) -> dict[str, UdfEntry]:
        cached = self._dirs.get(icb)
        if cached is not None:
            return cached
        node = self._node(icb)
        if not node.is_dir:
            raise UdfError("not a directory")
        if node.size > _MAX_DIR_BYTES:
            raise UdfError(f"directory of {node.size} bytes is implausibly large")
        data, pos = self._data(node), 0
        out: dict[str, UdfEntry] = {}
        while pos + 38 <= len(data):
            fid = data[pos:]
            check_tag(fid[: 16 + _u16(fid, 10)], (TAG_FID,), self._fid_block(node, pos))
            chars, l_fi, l_iu = fid[18], fid[19], _u16(fid, 36)
            end = 38 + l_iu + l_fi
            if end > len(fid):
                raise UdfError("file identifier runs past its directory")
            if not chars & (_FID_DELETED | _FID_PARENT) and l_fi:
                name = cs0(fid[38 + l_iu : end])
                out.setdefault(name, UdfEntry(name, bool(chars & _FID_DIRECTORY), (_u16(fid, 28), _u32(fid, 24))))
            pos += (end + 3) & ~3
        self._dirs[icb] = out
        return out

    @staticmethod
    def _fid_block(node: _Node, pos: int) -> int:
        """The logical block a File Identifier Descriptor at byte `pos` of its directory is recorded in."""
        start = 0
        for lbn, length in node.blocks:
            if pos < start + length:
                return lbn + (pos - start) // SECTOR
            start += length
        raise UdfError("file identifier outside its directory's extents")

    def _lookup(self, path: str) -> tuple[int, int] | None:
        icb = self._root
        for part in split_relpath(path):
            entries = self._entries(icb)
            hit = entries.get(part) or next((e for n, e in entries.items() if n.casefold() == part.casefold()), None)
            if hit is None:
                return None
            icb = hit.icb
        return icb

    def _resolve(self, path: str) -> _Node:
        icb = self._lookup(path)
        if icb is None:
            raise UdfError(f"{path} not found")
        return self._node(icb)

    # ------------------------------------------------------------------ the public API

    def exists(self, path: str) -> bool:
        """Whether `path` names a file or directory (matched exactly, then without regard to case)."""
        return self._lookup(path) is not None

    def is_dir(self, path: str) -> bool:
        return self._resolve(path).is_dir

    def listdir(self, path: str = "") -> list[str]:
        """The names in a directory, without its parent and deleted entries, sorted."""
        icb = self._lookup(path)
        if icb is None:
            raise UdfError(f"folder {path or '/'} not found")
        return sorted(self._entries(icb))

    def size(self, path: str) -> int:
        return self._resolve(path).size

    def extents(self, path: str) -> list[tuple[int, int]]:
        """Where a file's bytes lie: (byte offset in the image, length) in file order, adjacent runs merged."""
        out: list[tuple[int, int]] = []
        for offset, length in self._resolve(path).runs:
            if offset is None:
                raise UdfError(f"{path} has unrecorded (sparse) extents")
            if out and out[-1][0] + out[-1][1] == offset:
                out[-1] = (out[-1][0], out[-1][1] + length)
            else:
                out.append((offset, length))
        return out

    def read(self, path: str) -> bytes:
        """A whole (small) file; stream large ones through `extents`."""
        node = self._resolve(path)
        if node.is_dir:
            raise UdfError(f"{path} is a directory")
        return self._data(node)


class UdfMedia(MediaBase):
    """A DVD or Blu-ray image file (or device) read through `UdfVolume`: what pure UDF 2.50 Blu-ray ISOs need.

    The volume name is the Primary Volume Descriptor's identifier (what libdvdread and libudfread report, and
    what `IsoMedia` uses), else the Logical Volume Identifier (what blkid reports as the label).
    """

    def __init__(self, path: Path) -> None:
        self._source = path
        try:
            self._fd = os.open(path, os.O_RDONLY)
            size = os.lseek(self._fd, 0, os.SEEK_END)
        except OSError as e:
            raise MediaError(f"cannot open {path}: {e.strerror or e}") from e
        try:
            self._udf = UdfVolume(self._read_sectors, size // SECTOR)
            names = {n.upper() for n in self._udf.listdir("")}
        except UdfError as e:
            os.close(self._fd)
            raise UdfError(f"{path} is not a readable UDF disc image: {e}") from e
        top = next((t for t in ("VIDEO_TS", "BDMV") if t in names), None)
        if top is None:
            os.close(self._fd)
            raise MediaError(f"{path} is a disc image but holds no VIDEO_TS or BDMV folder (not a video disc)")
        self._type: DiscType = "dvd" if top == "VIDEO_TS" else self._bluray_type()
        self._volume = self._udf.volume_id or self._udf.logical_volume_id

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
        for rel in ("BDMV/index.bdmv", "BDMV/MovieObject.bdmv"):
            if self._udf.exists(rel):
                return bluray_type(self.read(rel)[:8])
        return "bluray"

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
