"""What the Blu-ray readers share: their error, the stream value, codec names and bounds-checked reads.

The readers themselves are `bluray_mpls` (playlists), `bluray_clpi` (clip information) and `bluray_index`
(index.bdmv). Layouts follow libbluray's mpls_parse.c, clpi_parse.c and index_parse.c. Every number is
big-endian; times are in 45 kHz ticks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from amphigory_daemon.formats.errors import FormatError

TICKS_PER_SECOND = 45_000
VERSIONS = frozenset({"0100", "0200", "0300"})

CODECS = {
    0x01: "MPEG1",
    0x02: "MPEG2",
    0x1B: "AVC",
    0xEA: "VC1",
    0x20: "MVC",
    0x24: "HEVC",
    0x03: "MPEG1-Audio",
    0x04: "MPEG2-Audio",
    0x80: "LPCM",
    0x81: "AC3",
    0x82: "DTS",
    0x83: "TrueHD",
    0x84: "EAC3",
    0x85: "DTS-HD HR",
    0x86: "DTS-HD MA",
    0xA1: "EAC3",
    0xA2: "DTS-HD",
    0x90: "PGS",
    0x91: "IGS",
    0x92: "TextST",
}
VIDEO_CODINGS = frozenset({0x01, 0x02, 0x1B, 0xEA, 0x20, 0x24})
AUDIO_CODINGS = frozenset({0x03, 0x04, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0xA1, 0xA2})
RESOLUTIONS = {1: "480i", 2: "576i", 3: "480p", 4: "1080i", 5: "720p", 6: "1080p", 7: "576p", 8: "2160p"}

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


class BlurayError(FormatError):
    """An index.bdmv, MPLS or CLPI file that is truncated, has the wrong header, or points outside itself."""


@dataclass(frozen=True, slots=True)
class BlurayStream:
    """One elementary stream: its kind (video, audio, pg, ig, ...), PID, coding type and language ('' if none)."""

    kind: str
    pid: int
    coding_type: int
    language: str = ""
    format: int = 0
    rate: int = 0

    @property
    def codec(self) -> str:
        """A short codec name (AVC, HEVC, LPCM, AC3, TrueHD, PGS, IGS, ...)."""
        return CODECS.get(self.coding_type, f"0x{self.coding_type:02x}")

    @property
    def resolution(self) -> str:
        """The video format as a name like 1080p ('' for non-video or unknown)."""
        return RESOLUTIONS.get(self.format, "") if self.coding_type in VIDEO_CODINGS else ""


def at(st: struct.Struct, data: bytes, offset: int, what: str) -> tuple[int, ...]:
    """Unpack `st` at `offset`, or raise `BlurayError` if it does not fit in `data`."""
    if offset < 0 or offset + st.size > len(data):
        raise BlurayError(f"{what} at byte {offset} lies past the end ({len(data)} bytes)")
    return st.unpack_from(data, offset)


def u8(data: bytes, offset: int, what: str) -> int:
    """One unsigned byte, bounds-checked."""
    return at(_U8, data, offset, what)[0]


def u16(data: bytes, offset: int, what: str) -> int:
    """A big-endian 16-bit number, bounds-checked."""
    return at(_U16, data, offset, what)[0]


def u32(data: bytes, offset: int, what: str) -> int:
    """A big-endian 32-bit number, bounds-checked."""
    return at(_U32, data, offset, what)[0]


def text(data: bytes, offset: int, size: int, what: str) -> str:
    """`size` bytes at `offset` as ASCII (other bytes become '?'), bounds-checked."""
    if offset < 0 or offset + size > len(data):
        raise BlurayError(f"{what} at byte {offset} lies past the end ({len(data)} bytes)")
    return data[offset : offset + size].decode("ascii", errors="replace").replace("\ufffd", "?")


def header(data: bytes, magic: str) -> str:
    """Check the 8-byte header (magic and version, e.g. MPLS0200) and return the version."""
    if len(data) < 8 or data[:4] != magic.encode():
        raise BlurayError(f"not a {magic} file: header is {data[:8]!r}")
    version = data[4:8].decode("ascii", errors="replace")
    if version not in VERSIONS:
        raise BlurayError(f"{magic} version {version!r} is not one of {sorted(VERSIONS)}")
    return version


def language(data: bytes, offset: int) -> str:
    """A 3-letter ISO 639-2 code at `offset`, or '' when it is not one."""
    code = data[offset : offset + 3]
    return code.decode("ascii") if len(code) == 3 and code.isascii() and code.isalpha() else ""


def coding_info(data: bytes, offset: int, kind: str, pid: int) -> tuple[BlurayStream, int]:
    """Read a length-prefixed stream attributes / StreamCodingInfo block; return the stream and the next offset."""
    length = u8(data, offset, "stream attributes length")
    end = offset + 1 + length
    if end > len(data):
        raise BlurayError(f"stream attributes at byte {offset} run past the end ({len(data)} bytes)")
    coding = u8(data, offset + 1, "stream coding type") if length else 0
    fmt = rate = 0
    lang = ""
    if length >= 2 and (coding in VIDEO_CODINGS or coding in AUDIO_CODINGS):
        fmt, rate = data[offset + 2] >> 4, data[offset + 2] & 0x0F
    if coding in AUDIO_CODINGS or coding in (0x90, 0x91):
        lang = language(data[:end], offset + 3 if coding in AUDIO_CODINGS else offset + 2)
    elif coding == 0x92:
        lang = language(data[:end], offset + 3)
    return BlurayStream(kind, pid, coding, lang, fmt, rate), end
