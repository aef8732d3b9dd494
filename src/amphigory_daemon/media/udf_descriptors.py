"""UDF descriptors (ECMA-167, OSTA UDF 1.02-2.60): tags, CS0 names, partitions and file entries as values.

Pure: bytes in, values out. Every descriptor's tag (id, checksum, CRC, location) is checked, and anything
malformed raises `UdfError`. `udf_volume.UdfVolume` walks a file system with these.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Callable
from typing import NamedTuple

from amphigory_daemon.media.base import MediaError

SECTOR = 2048
ReadSectors = Callable[[int, int], bytes]

TAG_PVD, TAG_AVDP, TAG_VDP, TAG_PD, TAG_LVD, TAG_TD = 1, 2, 3, 5, 6, 8
TAG_FSD, TAG_FID, TAG_AED, TAG_IE, TAG_FE, TAG_EFE = 256, 257, 258, 259, 261, 266
_FID_DELETED, _FID_DIRECTORY, _FID_PARENT = 0x04, 0x02, 0x08


class UdfError(MediaError):
    """A UDF structure that is missing, inconsistent or unsupported."""


def u16(b: bytes, o: int) -> int:
    """The little-endian unsigned 16-bit number at byte `o` of `b`."""
    return int(struct.unpack_from("<H", b, o)[0])


def u32(b: bytes, o: int) -> int:
    """The little-endian unsigned 32-bit number at byte `o` of `b`."""
    return int(struct.unpack_from("<I", b, o)[0])


def u64(b: bytes, o: int) -> int:
    """The little-endian unsigned 64-bit number at byte `o` of `b`."""
    return int(struct.unpack_from("<Q", b, o)[0])


def check_tag(buf: bytes, want: tuple[int, ...], location: int | None) -> int:
    """The id of the descriptor tag at the start of `buf` once its checksum, CRC and location are right."""
    if len(buf) < 16:
        raise UdfError("descriptor cut short")
    tag_id = u16(buf, 0)
    if sum(buf[0:4]) + sum(buf[5:16]) & 0xFF != buf[4]:
        raise UdfError(f"descriptor tag checksum wrong (tag id {tag_id})")
    if tag_id not in want:
        raise UdfError(f"expected descriptor {'/'.join(map(str, want))}, found {tag_id}")
    crc, crc_len = u16(buf, 8), u16(buf, 10)
    if 16 + crc_len > len(buf) or binascii.crc_hqx(buf[16 : 16 + crc_len], 0) != crc:
        raise UdfError(f"descriptor {tag_id} CRC wrong")
    if location is not None and u32(buf, 12) != location:
        raise UdfError(f"descriptor {tag_id} recorded for block {u32(buf, 12)} found at {location}")
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


# The records are NamedTuples (immutable, compared by value): creating frozen dataclasses when the module loads
# cost ~1 ms of every image's scan, a NamedTuple a tenth of that.
class PhysicalPartition(NamedTuple):
    """A partition laid out as-is from `start` (sparable partitions read the same on an undamaged image)."""

    start: int
    blocks: int

    def runs(self, lbn: int, length: int) -> list[tuple[int, int]]:
        if lbn + -(-length // SECTOR) > self.blocks:
            raise UdfError(f"block {lbn} (+{length} bytes) lies outside its partition")
        return [((self.start + lbn) * SECTOR, length)]


class MetadataPartition(NamedTuple):
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


Partition = PhysicalPartition | MetadataPartition


class FileNode(NamedTuple):
    """A File Entry: what it is, its size, where its bytes lie (None: unrecorded zeros) and its logical blocks."""

    is_dir: bool
    size: int
    runs: tuple[tuple[int | None, int], ...]
    blocks: tuple[tuple[int, int], ...]  # (logical block, bytes) per extent, for FID tag locations


class UdfEntry(NamedTuple):
    """One name in a directory."""

    name: str
    is_dir: bool
    icb: tuple[int, int]  # (partition reference, logical block)


def directory_entries(data: bytes, node: FileNode) -> dict[str, UdfEntry]:
    """The names in a directory's bytes (`node` is its File Entry), without its parent and deleted entries."""
    pos = 0
    out: dict[str, UdfEntry] = {}
    while pos + 38 <= len(data):
        fid = data[pos:]
        check_tag(fid[: 16 + u16(fid, 10)], (TAG_FID,), _fid_block(node, pos))
        chars, l_fi, l_iu = fid[18], fid[19], u16(fid, 36)
        end = 38 + l_iu + l_fi
        if end > len(fid):
            raise UdfError("file identifier runs past its directory")
        if not chars & (_FID_DELETED | _FID_PARENT) and l_fi:
            name = cs0(fid[38 + l_iu : end])
            out.setdefault(name, UdfEntry(name, bool(chars & _FID_DIRECTORY), (u16(fid, 28), u32(fid, 24))))
        pos += (end + 3) & ~3
    return out


def _fid_block(node: FileNode, pos: int) -> int:
    """The logical block a File Identifier Descriptor at byte `pos` of its directory is recorded in."""
    start = 0
    for lbn, length in node.blocks:
        if pos < start + length:
            return lbn + (pos - start) // SECTOR
        start += length
    raise UdfError("file identifier outside its directory's extents")
