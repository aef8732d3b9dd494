"""The model both CD sheet formats (CUE, cdrdao ``.toc``) are read into, and the pieces both readers share.

A `CueSheet` is the tracks of an audio CD: where each track's indexes lie in the image files, and the silence
(pregap) a track has that no file stores. `cue`, `cdrdao_toc` read text into it; `cd_layout` lays it out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from amphigory_daemon.formats.errors import FormatError

FRAMES_PER_SECOND = 75
LEAD_IN = 150
SESSION_GAP = 11_400
SAMPLES_PER_FRAME = 588
RAW_SECTOR = 2352
MAX_TRACKS = 99
_MSF = re.compile(r"(\d{1,4}):(\d{1,2}):(\d{1,2})")


class CueError(FormatError):
    """A CUE or TOC sheet that cannot be read, or a layout that cannot be computed from it."""


@dataclass(frozen=True)
class CdText:
    """CD-TEXT (or plain CUE) performer, title and songwriter of the disc or of one track."""

    performer: str | None = None
    title: str | None = None
    songwriter: str | None = None


@dataclass(frozen=True)
class CueFile:
    """One FILE statement: the image file's name, its type, and its length in sectors when the sheet says."""

    name: str
    kind: str
    frames: int | None = None


@dataclass(frozen=True)
class CueIndex:
    """An INDEX: its number and where it lies, as an index into `CueSheet.files` and a sector offset there."""

    number: int
    file: int
    frame: int


@dataclass(frozen=True)
class CueTrack:
    """One TRACK with its indexes, the silence not stored in any file (pregap/postgap) and its metadata."""

    number: int
    mode: str
    indexes: tuple[CueIndex, ...]
    pregap: int = 0
    postgap: int = 0
    isrc: str | None = None
    flags: tuple[str, ...] = ()
    cdtext: CdText = field(default_factory=CdText)

    @property
    def is_audio(self) -> bool:
        return self.mode == "AUDIO"

    def index(self, number: int) -> CueIndex | None:
        return next((i for i in self.indexes if i.number == number), None)

    @property
    def start(self) -> CueIndex:
        """INDEX 01, where a player starts the track (the lowest index present when a sheet omits it)."""
        found = self.index(1)
        if found is not None:
            return found
        if not self.indexes:
            raise CueError(f"track {self.number} has no INDEX")
        return min(self.indexes, key=lambda i: i.number)


@dataclass(frozen=True)
class CueSheet:
    """A whole sheet: files in order of appearance, tracks in order, and disc-level metadata."""

    files: tuple[CueFile, ...]
    tracks: tuple[CueTrack, ...]
    catalog: str | None = None
    cdtext: CdText = field(default_factory=CdText)
    rem: tuple[tuple[str, str], ...] = ()


def msf_to_frames(text: str) -> int:
    """``mm:ss:ff`` to sectors (75 a second)."""
    match = _MSF.fullmatch(text)
    if match is None:
        raise CueError(f"not a mm:ss:ff time: {text!r}")
    minutes, seconds, frames = (int(g) for g in match.groups())
    if seconds >= 60 or frames >= FRAMES_PER_SECOND:
        raise CueError(f"time out of range: {text!r}")
    return (minutes * 60 + seconds) * FRAMES_PER_SECOND + frames


def decode_sheet(data: bytes) -> str:
    """Sheet bytes to text: UTF-8 (with or without BOM) when valid, else Latin-1 as EAC writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def tokens(line: str) -> list[str]:
    """Split a sheet line into words, keeping a double-quoted string (with ``\\"`` escapes) as one word."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
        elif line[i] == '"':
            j, buf = i + 1, []
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(line[j])
                j += 1
            out.append("".join(buf))
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace():
                j += 1
            out.append(line[i:j])
            i = j
    return out


def parse_int(word: str, what: str) -> int:
    """A sheet's unsigned number (at most 9 digits); `what` names it in the error."""
    if not (word.isascii() and word.isdigit()) or len(word) > 9:
        raise CueError(f"bad {what}: {word!r}")
    return int(word)


def need(words: list[str], count: int) -> None:
    """Refuse a statement with fewer than `count` words (its keyword included)."""
    if len(words) < count:
        raise CueError(f"{words[0]}: expected {count - 1} argument(s)")
