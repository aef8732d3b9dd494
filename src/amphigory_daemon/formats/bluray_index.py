"""Blu-ray index.bdmv: bytes in, a `BlurayIndex` out.

The index lists what the player runs first (First Playback), the top menu, and each title; each of these is
either an HDMV movie object (by number, in MovieObject.bdmv) or a BD-J object (by file name).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from amphigory_daemon.formats.bluray import BlurayError, header, text, u16, u32

_OBJECT = struct.Struct(">IBBH")  # type bits, playback type bits, reserved, HDMV id
_KINDS = {1: "hdmv", 2: "bdj"}


@dataclass(frozen=True, slots=True)
class BlurayIndexObject:
    """What an index entry runs: an HDMV movie object (`mobj_id`) or a BD-J object (`bdjo_name`)."""

    kind: str  # "hdmv", "bdj" or "unknown"
    playback_type: int
    mobj_id: int | None
    bdjo_name: str | None


@dataclass(frozen=True, slots=True)
class BlurayIndexTitle:
    """One title of the index: its number (1-based), access type bits and object."""

    number: int
    access_type: int
    object: BlurayIndexObject


@dataclass(frozen=True, slots=True)
class BlurayIndex:
    """The parsed index.bdmv: version, First Playback, Top Menu and titles."""

    version: str
    first_playback: BlurayIndexObject
    top_menu: BlurayIndexObject
    titles: tuple[BlurayIndexTitle, ...]

    @property
    def is_uhd(self) -> bool:
        """Whether this is a UHD (INDX0300) index."""
        return self.version == "0300"


def _object(data: bytes, offset: int, what: str) -> tuple[BlurayIndexObject, int]:
    if offset + 12 > len(data):
        raise BlurayError(f"{what} at byte {offset} lies past the end ({len(data)} bytes)")
    flags, playback, _, mobj = _OBJECT.unpack_from(data, offset)
    kind = _KINDS.get(flags >> 30, "unknown")
    playback >>= 6
    if kind == "bdj":
        return BlurayIndexObject(kind, playback, None, text(data, offset + 6, 5, what)), flags >> 28 & 3
    return BlurayIndexObject(kind, playback, mobj if kind == "hdmv" else None, None), flags >> 28 & 3


def parse_index(data: bytes) -> BlurayIndex:
    """Read index.bdmv."""
    version = header(data, "INDX")
    base = u32(data, 8, "indexes address")
    first, _ = _object(data, base + 4, "First Playback")
    top, _ = _object(data, base + 16, "Top Menu")
    count = u16(data, base + 28, "title count")
    if base + 30 + 12 * count > len(data):
        raise BlurayError(f"{count} titles at byte {base + 30} run past the end ({len(data)} bytes)")
    titles = []
    for n in range(count):
        obj, access = _object(data, base + 30 + 12 * n, f"title {n + 1}")
        titles.append(BlurayIndexTitle(n + 1, access, obj))
    return BlurayIndex(version, first, top, tuple(titles))
