"""Checking a finished file before it gets its final name: its duration against the title's, the FLAC's sample
count and PCM checksum against the image's bytes, and its checksum (BLAKE3; `amphigory_protocol.checksum`).

The parsers here are pure (text or bytes in); `probe_duration` and the hashing functions do the I/O.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class FlacInfo:
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
