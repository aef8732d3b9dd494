"""Blu-ray playlists (BDMV/PLAYLIST/nnnnn.mpls): bytes in, a `BlurayPlaylist` out.

A playlist is a list of play items, each a stretch (IN..OUT, in 45 kHz ticks) of one clip, with the streams the
player may select (the STN table); marks on the timeline are the chapters. Its length is the sum of the play
items' stretches. MPLS0300 playlists belong to UHD discs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from amphigory_daemon.formats.bluray import (
    TICKS_PER_SECOND,
    BlurayError,
    BlurayStream,
    at,
    coding_info,
    header,
    text,
    u8,
    u16,
    u32,
)

ENTRY_MARK = 1
_PLAY_ITEM = struct.Struct(">HBII")  # flags, STC id, IN, OUT (after the clip id and codec id)
_MARK = struct.Struct(">BBHIHI")  # reserved, type, play item, time, entry PID, duration
_STN_COUNTS = struct.Struct(">HH7B")  # length, reserved, 7 stream counts
_STN_KINDS = ("video", "audio", "pg", "ig", "secondary_audio", "secondary_video", "pip_pg")
_STN_ORDER = (0, 1, 2, 6, 3, 4, 5)  # PiP PG streams follow the PG ones; IG after both


@dataclass(frozen=True, slots=True)
class BlurayPlayItem:
    """One play item: which clip, which stretch of it, how it joins the previous one, and its streams."""

    clip_id: str
    in_time: int
    out_time: int
    connection_condition: int
    stc_id: int
    angle_clips: tuple[str, ...]
    streams: tuple[BlurayStream, ...]

    @property
    def duration_ticks(self) -> int:
        """OUT minus IN, in 45 kHz ticks (0 if OUT is before IN)."""
        return max(0, self.out_time - self.in_time)

    @property
    def angles(self) -> int:
        """How many angles the play item has (1 unless it is multi-angle)."""
        return 1 + len(self.angle_clips)


@dataclass(frozen=True, slots=True)
class BlurayMark:
    """A playlist mark: type (1 entry = chapter, 2 link point), play item, time in ticks, offset from start."""

    mark_type: int
    play_item: int
    time: int
    entry_pid: int
    offset_ticks: int


@dataclass(frozen=True, slots=True)
class BluraySegment:
    """One play item's clip and stretch; the same sequence in two playlists means the same video."""

    clip_id: str
    in_time: int
    out_time: int


@dataclass(frozen=True, slots=True)
class BlurayPlaylist:
    """One playlist: its number (00800.mpls -> 800), version, play items and marks."""

    number: int
    version: str
    play_items: tuple[BlurayPlayItem, ...]
    marks: tuple[BlurayMark, ...]

    @property
    def duration_ticks(self) -> int:
        """The summed length of the play items, in 45 kHz ticks."""
        return sum(item.duration_ticks for item in self.play_items)

    @property
    def duration(self) -> float:
        """The summed length of the play items, in seconds."""
        return self.duration_ticks / TICKS_PER_SECOND

    @property
    def chapters(self) -> tuple[BlurayMark, ...]:
        """The entry marks, which players show as chapters."""
        return tuple(mark for mark in self.marks if mark.mark_type == ENTRY_MARK)

    @property
    def angles(self) -> int:
        """The most angles any play item has."""
        return max((item.angles for item in self.play_items), default=1)

    @property
    def streams(self) -> tuple[BlurayStream, ...]:
        """The first play item's streams (what a player offers when the playlist starts)."""
        return self.play_items[0].streams if self.play_items else ()

    @property
    def clip_ids(self) -> tuple[str, ...]:
        """The play items' clip ids, in order."""
        return tuple(item.clip_id for item in self.play_items)

    @property
    def segment_map(self) -> tuple[BluraySegment, ...]:
        """The play items' clips and stretches, in order, for finding playlists that play the same video."""
        return tuple(BluraySegment(i.clip_id, i.in_time, i.out_time) for i in self.play_items)

    @property
    def is_uhd(self) -> bool:
        """Whether this is a UHD (MPLS0300) playlist."""
        return self.version == "0300"


def playlist_number(name: str) -> int:
    """The number in a playlist's file name: '00800.mpls' -> 800."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    if not stem.isdigit():
        raise BlurayError(f"playlist file name {name!r} does not start with a number")
    return int(stem)


def _stream_entry(data: bytes, offset: int, kind: str) -> tuple[BlurayStream, int]:
    length = u8(data, offset, "stream entry length")
    entry_type = u8(data, offset + 1, "stream entry type")
    pid_at = {1: 2, 2: 4, 3: 3, 4: 4}.get(entry_type)
    pid = u16(data, offset + pid_at, "stream PID") if pid_at and pid_at + 1 <= length else 0
    return coding_info(data, offset + 1 + length, kind, pid)


def _skip_refs(data: bytes, offset: int) -> int:
    count = u8(data, offset, "stream reference count")
    return offset + 2 + count + (count & 1)


def _stn(data: bytes, offset: int, limit: int) -> tuple[BlurayStream, ...]:
    length, _, *counts = at(_STN_COUNTS, data, offset, "STN table")
    end = offset + 2 + length
    if end > limit:
        raise BlurayError(f"STN table at byte {offset} runs past its play item")
    pos = offset + 16
    streams: list[BlurayStream] = []
    for index in _STN_ORDER:
        kind = _STN_KINDS[index]
        for _ in range(counts[index]):
            stream, pos = _stream_entry(data, pos, "pg" if kind == "pip_pg" else kind)
            streams.append(stream)
            if kind == "secondary_audio":
                pos = _skip_refs(data, pos)
            elif kind == "secondary_video":
                pos = _skip_refs(data, _skip_refs(data, pos))
            if pos > end:
                raise BlurayError(f"STN table at byte {offset} overruns its length {length}")
    return tuple(streams)


def _play_item(data: bytes, offset: int) -> tuple[BlurayPlayItem, int]:
    length = u16(data, offset, "play item length")
    end = offset + 2 + length
    clip_id = text(data, offset + 2, 5, "clip id")
    flags, stc, in_time, out_time = at(_PLAY_ITEM, data, offset + 11, "play item")
    pos = offset + 34
    angle_clips: tuple[str, ...] = ()
    if flags & 0x10:
        count = u8(data, pos, "angle count")
        angle_clips = tuple(text(data, pos + 2 + 10 * i, 5, "angle clip id") for i in range(max(count, 1) - 1))
        pos += 2 + 10 * len(angle_clips)
    if end > len(data):
        raise BlurayError(f"play item at byte {offset} runs past the end ({len(data)} bytes)")
    streams = _stn(data, pos, end)
    return BlurayPlayItem(clip_id, in_time, out_time, flags & 0x0F, stc, angle_clips, streams), end


def _marks(data: bytes, offset: int, items: tuple[BlurayPlayItem, ...]) -> tuple[BlurayMark, ...]:
    count = u16(data, offset + 4, "mark count")
    if offset + 6 + count * _MARK.size > len(data):
        raise BlurayError(f"{count} playlist marks at byte {offset} run past the end ({len(data)} bytes)")
    starts = [0]
    for item in items:
        starts.append(starts[-1] + item.duration_ticks)
    marks = []
    for _, kind, ref, time, pid, _dur in _MARK.iter_unpack(data[offset + 6 : offset + 6 + count * _MARK.size]):
        start = starts[ref] + time - items[ref].in_time if ref < len(items) else 0
        marks.append(BlurayMark(kind, ref, time, pid, start))
    return tuple(marks)


def parse_mpls(data: bytes, number: int = 0) -> BlurayPlaylist:
    """Read one .mpls playlist; `number` is its file name's number (see `playlist_number`)."""
    version = header(data, "MPLS")
    list_at = u32(data, 8, "playlist address")
    marks_at = u32(data, 12, "mark address")
    count = u16(data, list_at + 6, "play item count")
    pos = list_at + 10
    items = []
    for _ in range(count):
        item, pos = _play_item(data, pos)
        items.append(item)
    play_items = tuple(items)
    return BlurayPlaylist(number, version, play_items, _marks(data, marks_at, play_items))
