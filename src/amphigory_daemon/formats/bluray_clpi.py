"""Blu-ray clip information (BDMV/CLIPINF/nnnnn.clpi): bytes in, a `BlurayClip` out.

A clip's information names its type, its transport-stream packet count (192-byte source packets, so the .m2ts
size is known without reading it), its presentation time span and the coding of each stream it carries.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from amphigory_daemon.formats.bluray import (
    TICKS_PER_SECOND,
    VIDEO_CODINGS,
    BlurayError,
    BlurayStream,
    at,
    coding_info,
    header,
    u8,
    u16,
    u32,
)

SOURCE_PACKET = 192
_CLIP_INFO = struct.Struct(">IHBBIII")  # length, reserved, stream type, application type, flags, rate, packets
_STC = struct.Struct(">HIII")  # PCR PID, SPN start, presentation start, presentation end
_PROGRAM = struct.Struct(">IHBB")  # SPN start, program map PID, stream count, reserved
_KINDS = {0x90: "pg", 0x91: "ig", 0x92: "text"}


@dataclass(frozen=True, slots=True)
class BlurayClip:
    """One clip's information: type, size, time span and streams (of its first program sequence)."""

    version: str
    clip_stream_type: int
    application_type: int  # 1 movie, 2 time-based slideshow, 3 browsable slideshow, 4-7 sub-paths
    ts_recording_rate: int
    source_packets: int
    start_time: int
    end_time: int
    streams: tuple[BlurayStream, ...]

    @property
    def size_bytes(self) -> int:
        """The .m2ts file's size: source packets times 192 bytes."""
        return self.source_packets * SOURCE_PACKET

    @property
    def duration(self) -> float:
        """The presentation span of the first STC sequence, in seconds."""
        return max(0, self.end_time - self.start_time) / TICKS_PER_SECOND


def _time_span(data: bytes, offset: int) -> tuple[int, int]:
    if offset == 0 or u8(data, offset + 5, "ATC sequence count") == 0:
        return 0, 0
    if u8(data, offset + 10, "STC sequence count") == 0:
        return 0, 0
    _pid, _spn, start, end = at(_STC, data, offset + 12, "STC sequence")
    return start, end


def _kind(coding: int) -> str:
    if coding in VIDEO_CODINGS:
        return "video"
    return _KINDS.get(coding, "audio")


def _streams(data: bytes, offset: int) -> tuple[BlurayStream, ...]:
    if offset == 0 or u8(data, offset + 5, "program sequence count") == 0:
        return ()
    _spn, _pmt, count, _ = at(_PROGRAM, data, offset + 6, "program sequence")
    pos = offset + 14
    streams = []
    for _ in range(count):
        pid = u16(data, pos, "stream PID")
        stream, pos = coding_info(data, pos + 2, "", pid)
        streams.append(replace(stream, kind=_kind(stream.coding_type)))
    return tuple(streams)


def parse_clpi(data: bytes) -> BlurayClip:
    """Read one .clpi clip information file."""
    version = header(data, "HDMV")
    sequence_at = u32(data, 8, "sequence info address")
    program_at = u32(data, 12, "program info address")
    _len, _, stream_type, app_type, _flags, rate, packets = at(_CLIP_INFO, data, 40, "clip info")
    start, end = _time_span(data, sequence_at)
    if program_at and program_at + 6 > len(data):
        raise BlurayError(f"program info at byte {program_at} lies past the end ({len(data)} bytes)")
    return BlurayClip(version, stream_type, app_type, rate, packets, start, end, _streams(data, program_at))
