"""CUE sheets and cdrdao ``.toc`` files: text in, a `CueSheet` out; with file sizes, the disc's `DiscToc`.

Both formats describe the same thing: the tracks of an audio CD (the model is in `cd_sheet`). This module reads
CUE sheets and picks the reader for sheet bytes (`parse_sheet`); `cdrdao_toc` reads ``.toc`` files and `cd_layout`
computes the disc's layout. Every public name of the three is importable from here. No function opens a file.
"""

from __future__ import annotations

from dataclasses import replace

from amphigory_daemon.formats.cd_layout import (
    ByteRange,
    DiscToc,
    TrackBytes,
    compute_toc,
    file_frames,
    join_sessions,
    track_byte_ranges,
)
from amphigory_daemon.formats.cd_sheet import (
    FRAMES_PER_SECOND,
    LEAD_IN,
    MAX_TRACKS,
    RAW_SECTOR,
    SAMPLES_PER_FRAME,
    SESSION_GAP,
    CdText,
    CueError,
    CueFile,
    CueIndex,
    CueSheet,
    CueTrack,
    decode_sheet,
    msf_to_frames,
    need,
    parse_int,
    tokens,
)
from amphigory_daemon.formats.cdrdao_toc import parse_toc

__all__ = [
    "FRAMES_PER_SECOND",
    "LEAD_IN",
    "MAX_TRACKS",
    "RAW_SECTOR",
    "SAMPLES_PER_FRAME",
    "SESSION_GAP",
    "ByteRange",
    "CdText",
    "CueError",
    "CueFile",
    "CueIndex",
    "CueSheet",
    "CueTrack",
    "DiscToc",
    "TrackBytes",
    "compute_toc",
    "decode_sheet",
    "file_frames",
    "join_sessions",
    "msf_to_frames",
    "parse_cue",
    "parse_sheet",
    "parse_toc",
    "track_byte_ranges",
]


class _Builder:
    """Mutable state while reading a sheet; `sheet()` freezes it."""

    def __init__(self) -> None:
        self.files: list[CueFile] = []
        self.tracks: list[CueTrack] = []
        self.catalog: str | None = None
        self.cdtext = CdText()
        self.rem: list[tuple[str, str]] = []

    def set_cdtext(self, key: str, value: str) -> None:
        name = key.lower()
        if self.tracks:
            track = self.tracks[-1]
            self.tracks[-1] = replace(track, cdtext=replace(track.cdtext, **{name: value}))
        else:
            self.cdtext = replace(self.cdtext, **{name: value})

    def current(self, keyword: str) -> CueTrack:
        if not self.tracks:
            raise CueError(f"{keyword} before any TRACK")
        return self.tracks[-1]

    def add_track(self, number: int, mode: str) -> None:
        if not 1 <= number <= MAX_TRACKS:
            raise CueError(f"track number out of range: {number}")
        if self.tracks and number <= self.tracks[-1].number:
            raise CueError(f"track {number} after track {self.tracks[-1].number}")
        if len(self.tracks) >= MAX_TRACKS:
            raise CueError("more than 99 tracks")
        self.tracks.append(CueTrack(number=number, mode=mode.upper(), indexes=()))

    def sheet(self) -> CueSheet:
        if not self.tracks:
            raise CueError("no tracks")
        bare = next((t.number for t in self.tracks if not t.indexes), None)
        if bare is not None:
            raise CueError(f"track {bare} has no INDEX")
        return CueSheet(tuple(self.files), tuple(self.tracks), self.catalog, self.cdtext, tuple(self.rem))


def parse_cue(text: str) -> CueSheet:
    """Read a CUE sheet (single-file or file-per-track, EAC's variants included)."""
    b = _Builder()
    session_gap = 0
    for raw in text.splitlines():
        words = tokens(raw)
        if not words:
            continue
        key = words[0].upper()
        if key == "REM":
            b.rem.append((words[1] if len(words) > 1 else "", " ".join(words[2:])))
            # redump's multi-session sheets: "REM SESSION 02" before the second session's first track, whose
            # image file does not hold the 11,400 sectors between the sessions
            if len(words) > 2 and words[1].upper() == "SESSION" and words[2].isdigit() and int(words[2]) > 1:
                session_gap = SESSION_GAP
        elif key == "FILE":
            need(words, 2)
            b.files.append(CueFile(words[1], words[2].upper() if len(words) > 2 else "BINARY"))
        elif key == "TRACK":
            need(words, 3)
            b.add_track(parse_int(words[1], "track number"), words[2])
            if session_gap:
                b.tracks[-1] = replace(b.tracks[-1], pregap=session_gap)
                session_gap = 0
        elif key == "INDEX":
            need(words, 3)
            track = b.current(key)
            if not b.files:
                raise CueError("INDEX before any FILE")
            index = CueIndex(parse_int(words[1], "index number"), len(b.files) - 1, msf_to_frames(words[2]))
            if index.number > MAX_TRACKS or len(track.indexes) >= MAX_TRACKS:
                raise CueError(f"too many indexes in track {track.number}")
            b.tracks[-1] = replace(track, indexes=(*track.indexes, index))
        elif key in ("PREGAP", "POSTGAP"):
            need(words, 2)
            track = b.current(key)
            gap = msf_to_frames(words[1])
            b.tracks[-1] = replace(track, pregap=track.pregap + gap) if key == "PREGAP" else replace(track, postgap=gap)
        elif key == "CATALOG":
            need(words, 2)
            b.catalog = words[1]
        elif key == "ISRC":
            need(words, 2)
            b.tracks[-1] = replace(b.current(key), isrc=words[1])
        elif key == "FLAGS":
            b.tracks[-1] = replace(b.current(key), flags=tuple(w.upper() for w in words[1:]))
        elif key in ("PERFORMER", "TITLE", "SONGWRITER"):
            need(words, 2)
            b.set_cdtext(key, words[1])
        elif key != "CDTEXTFILE":
            raise CueError(f"unknown CUE command: {words[0][:40]!r}")
    return b.sheet()


def parse_sheet(data: bytes, *, name: str = "") -> CueSheet:
    """Read sheet bytes, as a ``.toc`` when the name says so or the text looks like one, else as a CUE sheet."""
    text = decode_sheet(data)
    head = text.lstrip()[:16].upper()
    if name.lower().endswith(".toc") or head.startswith(("CD_DA", "CD_ROM", 'CATALOG "', "//")):
        return parse_toc(text)
    return parse_cue(text)
