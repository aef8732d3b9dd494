"""A `CueSheet` laid out on the disc: with the image files' sizes, its `DiscToc` and each track's bytes.

`compute_toc` lays the files end to end to get each track's position on the disc (with the 150-sector lead-in that
disc ids count) and the lead-out; `track_byte_ranges` gives the bytes a ripper reads for each track (raw
2352-byte sectors, gaps appended to the previous track, as EAC's and whipper's defaults do). No function here
opens a file: sizes come in as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from amphigory_daemon.formats.cd_sheet import LEAD_IN, MAX_TRACKS, RAW_SECTOR, SESSION_GAP, CueError, CueSheet, CueTrack

_SECTOR_SIZES = {"MODE1/2048": 2048, "MODE2/2336": 2336, "MODE2/2048": 2048, "MODE2/2324": 2324}


@dataclass(frozen=True)
class DiscToc:
    """A disc's table of contents as disc ids see it: track offsets and lead-out in sectors, lead-in included."""

    first: int
    last: int
    leadout: int
    offsets: tuple[int, ...]
    data_tracks: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ByteRange:
    """Bytes [start, end) of one image file (the file named by `CueSheet.files[file]`)."""

    file: int
    start: int
    end: int


@dataclass(frozen=True)
class TrackBytes:
    """What a ripper reads for one track: usually one range, several when the track spans files."""

    number: int
    ranges: tuple[ByteRange, ...]


def file_frames(sheet: CueSheet, file_sizes: Mapping[str, int] | None = None) -> tuple[int, ...]:
    """Each file's length in sectors: from the sheet where it says (``.toc``), else from its size in bytes.

    For a WAVE file the size is that of its audio data (what a BIN of the same audio would be).
    """
    sizes = file_sizes or {}
    out: list[int] = []
    for number, f in enumerate(sheet.files):
        if f.name in sizes:
            sector = max((_sector_size(t.mode) for t in sheet.tracks if t.start.file == number), default=RAW_SECTOR)
            out.append(sizes[f.name] // sector)
        elif f.frames is not None:
            out.append(f.frames)
        else:
            raise CueError(f"size of {f.name!r} is needed")
    return tuple(out)


def _sector_size(mode: str) -> int:
    return _SECTOR_SIZES.get(mode, RAW_SECTOR)


def _starts(sheet: CueSheet, frames: tuple[int, ...]) -> tuple[list[int], int]:
    """Disc sectors (lead-in excluded) of every track's INDEX 01, and the lead-out."""
    bases = [sum(frames[:i]) for i in range(len(frames))]
    extra = 0
    starts: list[int] = []
    previous: CueTrack | None = None
    for track in sheet.tracks:
        first = track.start
        extra += track.pregap
        position = bases[first.file] + first.frame + extra
        if starts and position < starts[-1]:
            raise CueError(f"track {track.number} starts before track {previous.number if previous else 0}")
        starts.append(position)
        extra += track.postgap
        previous = track
    return starts, sum(frames) + extra


def compute_toc(sheet: CueSheet, file_sizes: Mapping[str, int] | None = None) -> DiscToc:
    """The disc's TOC, offsets and lead-out counted from the start of the lead-in (sector 0 = -150).

    Files are laid end to end in sheet order; PREGAP/POSTGAP and cdrdao SILENCE/ZERO add sectors no file holds.
    On an Enhanced CD read into one sheet (cdrdao, EAC) the last audio track runs on to the data track, so
    the 11,400-sector gap between the sessions is already in the layout; `discid` takes it off again.
    """
    starts, leadout = _starts(sheet, file_frames(sheet, file_sizes))
    if leadout < starts[-1]:
        raise CueError("lead-out before the last track")
    return DiscToc(
        first=sheet.tracks[0].number,
        last=sheet.tracks[-1].number,
        leadout=leadout + LEAD_IN,
        offsets=tuple(s + LEAD_IN for s in starts),
        data_tracks=frozenset(t.number for t in sheet.tracks if not t.is_audio),
    )


def join_sessions(first: CueSheet, second: CueSheet) -> CueSheet:
    """One sheet of a two-session disc read as two ``.toc`` files (audio session, then data session).

    The second session starts 11,400 sectors after the first one's lead-out (Blue Book), added as pregap.
    """
    count = len(first.files)
    last = first.tracks[-1].number
    moved = tuple(
        replace(
            t,
            number=last + n,
            indexes=tuple(replace(i, file=i.file + count) for i in t.indexes),
            pregap=t.pregap + (SESSION_GAP if n == 1 else 0),
        )
        for n, t in enumerate(second.tracks, start=1)
    )
    if last + len(moved) > MAX_TRACKS:
        raise CueError("more than 99 tracks")
    return replace(first, files=first.files + second.files, tracks=first.tracks + moved)


def track_byte_ranges(sheet: CueSheet, file_sizes: Mapping[str, int] | None = None) -> tuple[TrackBytes, ...]:
    """For each track, the bytes to rip: INDEX 01 up to the next track's INDEX 01 (gaps go to the earlier track).

    Offsets are in raw sectors of the track's mode (2352 bytes for audio). The first track's hidden audio before
    its INDEX 01 (an HTOA in INDEX 00) is not part of it.
    """
    frames = file_frames(sheet, file_sizes)
    out: list[TrackBytes] = []
    for n, track in enumerate(sheet.tracks):
        size = _sector_size(track.mode)
        begin = track.start
        if n + 1 < len(sheet.tracks):
            nxt = sheet.tracks[n + 1].start
            end_file, end_frame = nxt.file, nxt.frame
        else:
            end_file, end_frame = len(frames) - 1, frames[-1]
        if (end_file, end_frame) < (begin.file, begin.frame):
            raise CueError(f"track {track.number} ends before it starts")
        ranges: list[ByteRange] = []
        for file in range(begin.file, end_file + 1):
            lo = begin.frame if file == begin.file else 0
            hi = end_frame if file == end_file else frames[file]
            if hi > lo:
                ranges.append(ByteRange(file, lo * size, hi * size))
        out.append(TrackBytes(track.number, tuple(ranges)))
    return tuple(out)
