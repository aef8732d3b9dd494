"""`UdfVolume`: a read-only UDF file system over a ``read_sectors(lba, count) -> bytes`` callable.

Blu-ray images are pure UDF 2.50: no ISO 9660 side, and the file system's own structures live in a metadata
file reached through a type 2 (metadata) partition map. The volume is a pure core over `read_sectors`, so it
reads a file, a block device or bytes alike; every loop is bounded by the data.
"""

from __future__ import annotations

from amphigory_daemon.media.base import split_relpath
from amphigory_daemon.media.udf_descriptors import (
    SECTOR,
    TAG_AED,
    TAG_AVDP,
    TAG_EFE,
    TAG_FE,
    TAG_FSD,
    TAG_IE,
    TAG_LVD,
    TAG_PD,
    TAG_PVD,
    TAG_TD,
    TAG_VDP,
    FileNode,
    MetadataPartition,
    Partition,
    PhysicalPartition,
    ReadSectors,
    UdfEntry,
    UdfError,
    check_tag,
    directory_entries,
    dstring,
    u16,
    u32,
    u64,
)

_ANCHORS = (256,)  # plus N-1 and N-257, which depend on the image size
_MAX_VDS_SECTORS = 512  # a sequence is 16 sectors on every disc; a longer one is noise
_MAX_HOPS = 64  # VDP, indirect-entry and allocation-extent chains
_MAX_DIR_BYTES = 16 << 20
_META_ID = b"*UDF Metadata Partition"
_SPARABLE_ID = b"*UDF Sparable Partition"


class UdfVolume:
    """A UDF file system read through `read_sectors` from an image of `sector_count` 2048-byte sectors."""

    def __init__(self, read_sectors: ReadSectors, sector_count: int) -> None:
        self._read_sectors = read_sectors
        self._sectors = sector_count
        self._nodes: dict[tuple[int, int], FileNode] = {}
        self._dirs: dict[tuple[int, int], dict[str, UdfEntry]] = {}
        avdp = self._anchor()
        main, reserve = (u32(avdp, 16), u32(avdp, 20)), (u32(avdp, 24), u32(avdp, 28))
        try:
            descs = self._sequence(*main)
        except UdfError:
            descs = self._sequence(*reserve)
        self.volume_id, self.logical_volume_id = descs[0], descs[1]
        self._maps: list[Partition] = descs[2]
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

    def _sequence(self, length: int, lba: int) -> tuple[str, str, list[Partition], tuple[int, int, int]]:
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
                count, lba, i = min(u32(buf, 20) // SECTOR, _MAX_VDS_SECTORS), u32(buf, 24), 0
            elif tag == TAG_PVD and pvd is None:
                pvd = buf
            elif tag == TAG_PD:
                pds.setdefault(u16(buf, 22), buf)
            elif tag == TAG_LVD and lvd is None:
                lvd = buf
        if pvd is None or lvd is None or not pds:
            raise UdfError("volume descriptor sequence lacks a Primary, Partition or Logical Volume Descriptor")
        if u32(lvd, 212) != SECTOR:
            raise UdfError(f"logical block size {u32(lvd, 212)} is not {SECTOR}")
        fsd = (u32(lvd, 248), u32(lvd, 252), u16(lvd, 256))
        return dstring(pvd[24:56]), dstring(lvd[84:212]), self._partition_maps(lvd, pds), fsd

    def _partition_maps(self, lvd: bytes, pds: dict[int, bytes]) -> list[Partition]:
        table_len, count = u32(lvd, 264), u32(lvd, 268)
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
                raw.append((b"physical", u16(m, 4)))
            elif kind == 2 and size >= 64 and m[5:28] in (_META_ID, _SPARABLE_ID):
                raw.append((m, u16(m, 38)))
            else:
                raise UdfError(f"unsupported partition map (type {kind}: {m[5:28].rstrip(bytes(1))!r})")
            pos += size
        maps: list[Partition] = [self._physical(pds, number) for _, number in raw]
        for i, (m, number) in enumerate(raw):
            if m[5:28] == _META_ID:
                maps[i] = self._metadata(maps, pds, number, u32(m, 40), u32(m, 44))
        return maps

    def _physical(self, pds: dict[int, bytes], number: int) -> PhysicalPartition:
        pd = pds.get(number)
        if pd is None:
            raise UdfError(f"partition {number} has no Partition Descriptor")
        return PhysicalPartition(u32(pd, 188), u32(pd, 192))

    def _metadata(
        self, maps: list[Partition], pds: dict[int, bytes], number: int, main: int, mirror: int
    ) -> MetadataPartition:
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
                return MetadataPartition(tuple((o, n) for o, n in node.runs if o is not None))
        finally:
            maps.pop()
        raise UdfError("neither the metadata file nor its mirror is readable")

    def _file_set(self, fsd: tuple[int, int, int]) -> tuple[int, int]:
        _, lbn, ref = fsd
        buf = self._block(self._maps, ref, lbn)
        check_tag(buf, (TAG_FSD,), lbn)
        return u16(buf, 408), u32(buf, 404)  # the root directory ICB (long_ad at 400)

    # ------------------------------------------------------------------ file entries

    def _block(self, maps: list[Partition], ref: int, lbn: int) -> bytes:
        if not 0 <= ref < len(maps):
            raise UdfError(f"partition reference {ref} names no partition map")
        return b"".join(self.read_at(o, n) for o, n in maps[ref].runs(lbn, SECTOR))

    def _load(self, maps: list[Partition], ref: int, lbn: int, types: tuple[int, ...] = (4, 5)) -> FileNode:
        """The File Entry at (ref, lbn), following Indirect Entries; `types` are the ICB file types allowed."""
        seen: set[tuple[int, int]] = set()
        while (ref, lbn) not in seen and len(seen) < _MAX_HOPS:
            seen.add((ref, lbn))
            buf = self._block(maps, ref, lbn)
            tag = check_tag(buf, (TAG_FE, TAG_EFE, TAG_IE), lbn)
            if tag != TAG_IE:
                return self._entry(maps, buf, ref, lbn, tag, types)
            lbn, ref = u32(buf, 40), u16(buf, 44)
        raise UdfError("indirect ICB entries loop")

    def _entry(
        self, maps: list[Partition], buf: bytes, ref: int, lbn: int, tag: int, types: tuple[int, ...]
    ) -> FileNode:
        file_type, ad_type = buf[27], u16(buf, 34) & 7
        if file_type not in types:
            raise UdfError(f"file entry of unexpected type {file_type}")
        head = 176 if tag == TAG_FE else 216
        l_ea, l_ad = u32(buf, head - 8), u32(buf, head - 4)
        size = u64(buf, 56)
        if head + l_ea + l_ad > SECTOR:
            raise UdfError("file entry's attributes run past its block")
        if size > self._sectors * SECTOR:
            raise UdfError(f"file of {size} bytes is larger than the image")
        area = buf[head + l_ea : head + l_ea + l_ad]
        if ad_type == 3:
            if size > l_ad:
                raise UdfError("embedded file data shorter than the file")
            offset = maps[ref].runs(lbn, SECTOR)[0][0]
            return FileNode(file_type == 4, size, ((offset + head + l_ea, size),), ((lbn, size),))
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
        return FileNode(file_type == 4, size, tuple(runs), tuple((e[2], e[3]) for e in extents))

    def _allocation(
        self, maps: list[Partition], area: bytes, ad_type: int, ref: int, size: int
    ) -> list[tuple[bool, int, int, int]]:
        """(recorded, partition ref, block, bytes) for each extent until `size` bytes are covered."""
        step = 8 if ad_type == 0 else 16
        out: list[tuple[bool, int, int, int]] = []
        total, hops, pos = 0, 0, 0
        while total < size:
            if pos + step > len(area):
                raise UdfError("allocation descriptors end before the file does")
            raw, lbn = u32(area, pos), u32(area, pos + 4)
            ext_ref = ref if ad_type == 0 else u16(area, pos + 8)
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
                area, pos = buf[24 : 24 + min(u32(buf, 20), SECTOR - 24)], 0
                continue
            take = min(length, size - total)
            out.append((kind == 0, ext_ref, lbn, take))
            total += take
        return out

    # ------------------------------------------------------------------ directories and paths

    def _node(self, icb: tuple[int, int]) -> FileNode:
        node = self._nodes.get(icb)
        if node is None:
            node = self._nodes[icb] = self._load(self._maps, *icb)
        return node

    def _data(self, node: FileNode) -> bytes:
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
        out = directory_entries(self._data(node), node)
        self._dirs[icb] = out
        return out

    def _lookup(self, path: str) -> tuple[int, int] | None:
        icb = self._root
        for part in split_relpath(path):
            entries = self._entries(icb)
            hit = entries.get(part) or next((e for n, e in entries.items() if n.casefold() == part.casefold()), None)
            if hit is None:
                return None
            icb = hit.icb
        return icb

    def _resolve(self, path: str) -> FileNode:
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
