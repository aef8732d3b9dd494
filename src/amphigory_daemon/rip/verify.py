"""Checking a finished file before it gets its final name: its duration against the title's, the FLAC's sample
count and PCM checksum against the image's bytes, and its checksum (BLAKE3; `amphigory_protocol.checksum`).

The parsers here are pure (text or bytes in); `read_duration`, `probe_duration` and the hashing functions do the
I/O. A Matroska file's duration is read from its head (`parse_matroska_duration`: the Segment's Info, which ffmpeg
and MakeMKV write within the first few hundred bytes) instead of starting ``ffmpeg -i``, which reads the same
field; anything else, or a head that does not hold it, is probed with ffmpeg.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from amphigory_daemon.rip.runner import run_tool
from amphigory_protocol.checksum import DEFAULT_ALGORITHM, Algorithm, Checksum, hash_file, parse_checksum

# A title of a few seconds cannot match to 1 %: audio and video end up to a frame or an audio packet apart.
MIN_TOLERANCE_SECONDS = 0.25
RELATIVE_TOLERANCE = 0.01
_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def parse_ffmpeg_duration(lines: list[str] | tuple[str, ...]) -> float | None:
    """The first input's ``Duration: HH:MM:SS.cc`` from ``ffmpeg -i`` stderr lines; None for ``N/A``."""
    for line in lines:
        match = _DURATION.match(line)
        if match:
            hours, minutes, seconds = match.groups()
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return None


def duration_matches(expected: float, actual: float) -> bool:
    """Whether ``actual`` is within 1 % of ``expected`` (at least `MIN_TOLERANCE_SECONDS`)."""
    return abs(actual - expected) <= max(RELATIVE_TOLERANCE * expected, MIN_TOLERANCE_SECONDS)


async def probe_duration(ffmpeg: str, path: Path) -> float | None:
    """The container duration of ``path`` as ffmpeg reads it (``ffmpeg -i``; no ffprobe in imageio-ffmpeg)."""
    lines: list[str] = []
    await run_tool([ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)], on_stderr=lines.append, tail=1)
    return parse_ffmpeg_duration(lines)


async def read_duration(ffmpeg: str, path: Path) -> float | None:
    """The container duration of ``path``: from a Matroska file's head when it holds one, else as ffmpeg reads it
    (`probe_duration`)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(MATROSKA_HEAD_BYTES)
    except OSError:
        head = b""
    duration = parse_matroska_duration(head)
    return duration if duration is not None else await probe_duration(ffmpeg, path)


# Matroska (EBML) element IDs, marker bits kept, as the specification writes them
EBML_HEADER = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
INFO = 0x1549A966
CLUSTER = 0x1F43B675
TIMESTAMP_SCALE = 0x2AD7B1
DURATION = 0x4489
MATROSKA_DOC_TYPES = (b"matroska", b"webm")
DEFAULT_TIMESTAMP_SCALE = 1_000_000  # ns per tick
# ffmpeg puts Info after the EBML header, a SeekHead and a Void reserving room for the Cues' entry: ~0.2 KiB in
MATROSKA_HEAD_BYTES = 64 * 1024


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-size integer at ``pos``: (value, its length); the length marker kept for IDs (at most 4
    bytes) and dropped for sizes (at most 8). -1 for a size whose value bits are all ones (unknown). None when
    the bytes run out or cannot start one."""
    if pos >= len(data) or data[pos] == 0:
        return None
    length = 9 - data[pos].bit_length()
    if pos + length > len(data) or (keep_marker and length > 4):
        return None
    value = int.from_bytes(data[pos:pos + length], "big")
    if keep_marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (-1 if value == (1 << (7 * length)) - 1 else value), length


def _element(data: bytes, pos: int) -> tuple[int, int, int | None] | None:
    """The element starting at ``pos``: (ID, where its data starts, its size or None when unknown)."""
    ident = _vint(data, pos, keep_marker=True)
    if ident is None:
        return None
    size = _vint(data, pos + ident[1], keep_marker=False)
    if size is None:
        return None
    return ident[0], pos + ident[1] + size[1], None if size[0] < 0 else size[0]


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]] | None:
    """The elements between ``start`` and ``end`` (ID, data start, data end), each of known size and wholly inside;
    None otherwise."""
    found = []
    pos = start
    while pos < end:
        element = _element(data, pos)
        if element is None:
            return None
        ident, begins, size = element
        if size is None or begins + size > end:
            return None
        found.append((ident, begins, begins + size))
        pos = begins + size
    return found


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big")


def parse_matroska_duration(head: bytes) -> float | None:
    """The duration in seconds a Matroska (or WebM) file's Segment Info gives (Duration x TimestampScale), from the
    first bytes of the file; None when they are not Matroska, or the Info is not wholly within them or has no usable
    Duration (the caller then asks ffmpeg). Never raises."""
    header = _element(head, 0)
    if header is None:
        return None
    ident, ebml_start, ebml_size = header
    if ident != EBML_HEADER or ebml_size is None or ebml_start + ebml_size > len(head):
        return None
    ebml_end = ebml_start + ebml_size
    fields = _children(head, ebml_start, ebml_end)
    if fields is None:
        return None
    doc_type = next((head[a:b].rstrip(b"\0") for field, a, b in fields if field == DOC_TYPE), b"matroska")
    if doc_type not in MATROSKA_DOC_TYPES:
        return None
    segment = _element(head, ebml_end)
    if segment is None or segment[0] != SEGMENT:
        return None
    _, pos, segment_size = segment
    end = len(head) if segment_size is None else min(len(head), pos + segment_size)
    while pos < end:  # the Segment's top-level elements (SeekHead, Void, Info, Tracks...), up to the first Cluster
        element = _element(head, pos)
        if element is None:
            return None
        ident, begins, size = element
        if ident == CLUSTER or size is None:
            return None
        if ident == INFO:
            return _info_duration(head, begins, begins + size) if begins + size <= len(head) else None
        pos = begins + size
    return None


def _info_duration(head: bytes, start: int, end: int) -> float | None:
    fields = _children(head, start, end)
    if fields is None:
        return None
    scale, duration = DEFAULT_TIMESTAMP_SCALE, None
    for ident, a, b in fields:
        if ident == TIMESTAMP_SCALE and 0 < b - a <= 8:
            scale = _uint(head[a:b])
        elif ident == DURATION and b - a in (4, 8):
            (duration,) = struct.unpack(">f" if b - a == 4 else ">d", head[a:b])
    if duration is None or scale <= 0 or not math.isfinite(duration) or duration <= 0:
        return None  # ffmpeg itself ignores a Duration of 0 and estimates one from the streams: so does our probe
    seconds = duration * scale / 1e9
    return seconds if math.isfinite(seconds) else None


class FlacInfo(NamedTuple):
    """A FLAC file's STREAMINFO: format, total samples per channel, and the MD5 of the decoded PCM."""

    sample_rate: int
    channels: int
    bits_per_sample: int
    total_samples: int
    md5: bytes


def parse_flac_streaminfo(head: bytes) -> FlacInfo | None:
    """STREAMINFO from the first bytes of a FLAC file (42 suffice); None when it is not FLAC."""
    if len(head) < 42 or head[:4] != b"fLaC" or head[4] & 0x7F != 0:
        return None
    info = head[8:42]
    packed = int.from_bytes(info[10:18], "big")
    return FlacInfo(
        sample_rate=packed >> 44,
        channels=((packed >> 41) & 0x7) + 1,
        bits_per_sample=((packed >> 36) & 0x1F) + 1,
        total_samples=packed & 0xFFFFFFFFF,
        md5=info[18:34],
    )


async def file_checksum(path: Path, algorithm: Algorithm = DEFAULT_ALGORITHM) -> Checksum:
    """The checksum of a file, hashed on worker threads (both hashers release the GIL)."""
    return await asyncio.to_thread(hash_file, path, algorithm)


async def sha256_file(path: Path) -> str:
    """SHA-256 of a file (hex), as rips recorded it before BLAKE3."""
    return (await file_checksum(path, "sha256")).hexdigest


async def checksum_matches(path: Path, record: str) -> bool:
    """Whether ``path`` still has the checksum ``record`` (``"blake3:<hex>"``, ``"sha256:<hex>"`` or an old bare
    SHA-256 hex); `ChecksumError` for a record that is neither."""
    expected = parse_checksum(record)
    return await file_checksum(path, expected.algorithm) == expected


def pcm_md5(chunks: Iterable[bytes], big_endian: bool) -> bytes:
    """MD5 of 16-bit PCM as FLAC computes it (little-endian samples), from the image's bytes."""
    digest = hashlib.md5()
    for chunk in chunks:
        if big_endian:
            swapped = bytearray(chunk)
            swapped[0::2], swapped[1::2] = chunk[1::2], chunk[0::2]
            chunk = bytes(swapped)
        digest.update(chunk)
    return digest.digest()
