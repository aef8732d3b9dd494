"""cdrdao ``.toc`` files (as ``cdrdao read-toc`` writes them): text in, the same `CueSheet` a CUE sheet gives."""

from __future__ import annotations

import re
from dataclasses import replace

from amphigory_daemon.formats.cd_sheet import (
    MAX_TRACKS,
    SAMPLES_PER_FRAME,
    CdText,
    CueError,
    CueFile,
    CueIndex,
    CueSheet,
    CueTrack,
    msf_to_frames,
    need,
    parse_int,
    tokens,
)

# statements read but not kept: disc modes, "NO COPY" and the like, flags before any TRACK, INDEX and PREGAP marks
_IGNORED = frozenset(("CD_DA", "CD_ROM", "CD_ROM_XA", "NO", "TWO_CHANNEL_AUDIO", "COPY", "PRE_EMPHASIS",
                      "FOUR_CHANNEL_AUDIO", "INDEX", "PREGAP"))


def _toc_time(word: str) -> int:
    """A cdrdao time: ``mm:ss:ff`` or a count of samples (588 a sector)."""
    if ":" in word:
        return msf_to_frames(word)
    return parse_int(word, "sample count") // SAMPLES_PER_FRAME


def _unescape_octal(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8) & 0xFF), text)


class _TocTrack:
    """One cdrdao track while it is being read."""

    def __init__(self, number: int, mode: str) -> None:
        self.number, self.mode = number, mode
        self.silence = 0
        self.spans: list[tuple[int, int, int]] = []  # (file, start, length)
        self.start: int | None = None
        self.isrc: str | None = None
        self.flags: list[str] = []
        self.cdtext = CdText()

    def freeze(self) -> CueTrack:
        if not self.spans:
            raise CueError(f"track {self.number} has no FILE or DATAFILE")
        file, begin, _ = self.spans[0]
        start = self.start or 0
        indexes: list[CueIndex] = []
        if start > self.silence:
            indexes.append(CueIndex(0, file, begin))
        indexes.append(CueIndex(1, file, begin + max(0, start - self.silence)))
        return CueTrack(
            self.number,
            self.mode,
            tuple(indexes),
            pregap=min(start, self.silence) if start else self.silence,
            isrc=self.isrc,
            flags=tuple(self.flags),
            cdtext=self.cdtext,
        )


def parse_toc(text: str) -> CueSheet:
    """Read a cdrdao ``.toc`` file (as written by ``cdrdao read-toc``) into the same model as a CUE sheet."""
    files: list[CueFile] = []
    tracks: list[_TocTrack] = []
    catalog: str | None = None
    disc_text = CdText()
    depth = 0
    for raw in text.splitlines():
        line = raw.split("//", 1)[0] if '"' not in raw else _strip_comment(raw)
        words = tokens(_unescape_octal(line))
        if not words:
            continue
        if depth or words[0] == "CD_TEXT":
            depth, disc_text = _cdtext_line(words, depth, tracks, disc_text)
            continue
        key = words[0].upper()
        if key == "TRACK":
            need(words, 2)
            if len(tracks) >= MAX_TRACKS:
                raise CueError("more than 99 tracks")
            tracks.append(_TocTrack(len(tracks) + 1, words[1].upper()))
        elif key in ("FILE", "AUDIOFILE", "DATAFILE"):
            _file_line(key, words, files, tracks)
        elif key in ("SILENCE", "ZERO", "START"):
            need(words, 2)
            if not tracks:
                raise CueError(f"{key} before any TRACK")
            value = _toc_time(words[-1])
            if key == "START":
                tracks[-1].start = value
            else:
                tracks[-1].silence += value
        elif key == "ISRC":
            need(words, 2)
            if tracks:
                tracks[-1].isrc = words[1]
        elif key == "CATALOG":
            need(words, 2)
            catalog = words[1]
        elif key in ("COPY", "PRE_EMPHASIS", "FOUR_CHANNEL_AUDIO") and tracks:
            tracks[-1].flags.append({"COPY": "DCP", "PRE_EMPHASIS": "PRE"}.get(key, "4CH"))
        elif key not in _IGNORED:
            raise CueError(f"unknown TOC statement: {words[0][:40]!r}")
    if not tracks:
        raise CueError("no tracks")
    return CueSheet(tuple(files), tuple(t.freeze() for t in tracks), catalog, disc_text)


def _file_line(key: str, words: list[str], files: list[CueFile], tracks: list[_TocTrack]) -> None:
    """A FILE/AUDIOFILE/DATAFILE statement: the span of an image file the current track is read from."""
    need(words, 2)
    if not tracks:
        raise CueError(f"{key} before any TRACK")
    begin = _toc_time(words[2]) if key != "DATAFILE" and len(words) > 2 else 0
    length_word = words[3] if key != "DATAFILE" and len(words) > 3 else words[2] if len(words) > 2 else ""
    length = _toc_time(length_word) if length_word else 0
    if not files or files[-1].name != words[1]:
        files.append(CueFile(words[1], "WAVE" if key != "DATAFILE" else "BINARY", 0))
    last = files[-1]
    files[-1] = replace(last, frames=max(last.frames or 0, begin + length))
    tracks[-1].spans.append((len(files) - 1, begin, length))


def _strip_comment(line: str) -> str:
    """Drop a ``//`` comment that is outside double quotes."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif not quoted and line.startswith("//", i):
            return line[:i]
    return line


def _cdtext_line(words: list[str], depth: int, tracks: list[_TocTrack], disc: CdText) -> tuple[int, CdText]:
    """Follow the braces of a CD_TEXT block and keep its TITLE/PERFORMER/SONGWRITER of language 0."""
    key = words[0].upper()
    if key in ("TITLE", "PERFORMER", "SONGWRITER") and len(words) > 1 and depth == 2:
        value = words[1] or None
        if tracks:
            tracks[-1].cdtext = replace(tracks[-1].cdtext, **{key.lower(): value})
        else:
            disc = replace(disc, **{key.lower(): value})
    depth += sum(w.count("{") for w in words) - sum(w.count("}") for w in words)
    if depth < 0 or depth > 8:
        raise CueError("unbalanced CD_TEXT braces")
    return depth, disc
