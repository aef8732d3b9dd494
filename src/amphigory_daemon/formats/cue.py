"""CUE sheets and cdrdao ``.toc`` files: text in, a `CueSheet` out; with file sizes, the disc's `DiscToc`.

Both formats describe the same thing: the tracks of an audio CD, where each track's indexes lie in the image files,
and the silence (pregap) a track has that no file stores. `compute_toc` lays the files end to end to get each
track's position on the disc (with the 150-sector lead-in that disc ids count) and the lead-out; `track_byte_ranges`
gives the bytes a ripper reads for each track (raw 2352-byte sectors, gaps appended to the previous track, as
EAC's and whipper's defaults do). No function here opens a file: sizes come in as a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from amphigory_daemon.formats.errors import FormatError

FRAMES_PER_SECOND = 75
LEAD_IN = 150
SESSION_GAP = 11_400
SAMPLES_PER_FRAME = 588
RAW_SECTOR = 2352
MAX_TRACKS = 99
_SECTOR_SIZES = {"MODE1/2048": 2048, "MODE2/2336": 2336, "MODE2/2048": 2048, "MODE2/2324": 2324}
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


def _tokens(line: str) -> list[str]:
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


def _int(word: str, what: str) -> int:
    if not (word.isascii() and word.isdigit()) or len(word) > 9:
        raise CueError(f"bad {what}: {word!r}")
    return int(word)


def _need(words: list[str], count: int) -> None:
    if len(words) < count:
        raise CueError(f"{words[0]}: expected {count - 1} argument(s)")


def parse_cue(text: str) -> CueSheet:
    """Read a CUE sheet (single-file or file-per-track, EAC's variants included)."""
    b = _Builder()
    session_gap = 0
    for raw in text.splitlines():
        words = _tokens(raw)
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
            _need(words, 2)
            b.files.append(CueFile(words[1], words[2].upper() if len(words) > 2 else "BINARY"))
        elif key == "TRACK":
            _need(words, 3)
            b.add_track(_int(words[1], "track number"), words[2])
            if session_gap:
                b.tracks[-1] = replace(b.tracks[-1], pregap=session_gap)
                session_gap = 0
        elif key == "INDEX":
            _need(words, 3)
            track = b.current(key)
            if not b.files:
                raise CueError("INDEX before any FILE")
            index = CueIndex(_int(words[1], "index number"), len(b.files) - 1, msf_to_frames(words[2]))
            if index.number > MAX_TRACKS or len(track.indexes) >= MAX_TRACKS:
                raise CueError(f"too many indexes in track {track.number}")
            b.tracks[-1] = replace(track, indexes=(*track.indexes, index))
        elif key in ("PREGAP", "POSTGAP"):
            _need(words, 2)
            track = b.current(key)
            gap = msf_to_frames(words[1])
            b.tracks[-1] = replace(track, pregap=track.pregap + gap) if key == "PREGAP" else replace(track, postgap=gap)
        elif key == "CATALOG":
            _need(words, 2)
            b.catalog = words[1]
        elif key == "ISRC":
            _need(words, 2)
            b.tracks[-1] = replace(b.current(key), isrc=words[1])
        elif key == "FLAGS":
            b.tracks[-1] = replace(b.current(key), flags=tuple(w.upper() for w in words[1:]))
        elif key in ("PERFORMER", "TITLE", "SONGWRITER"):
            _need(words, 2)
            b.set_cdtext(key, words[1])
        elif key != "CDTEXTFILE":
            raise CueError(f"unknown CUE command: {words[0][:40]!r}")
    return b.sheet()


def _toc_time(word: str) -> int:
    """A cdrdao time: ``mm:ss:ff`` or a count of samples (588 a sector)."""
    if ":" in word:
        return msf_to_frames(word)
    return _int(word, "sample count") // SAMPLES_PER_FRAME


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
        words = _tokens(_unescape_octal(line))
        if not words:
            continue
        if depth or words[0] == "CD_TEXT":
            depth, disc_text = _cdtext_line(words, depth, tracks, disc_text)
            continue
        key = words[0].upper()
        if key == "TRACK":
            _need(words, 2)
            if len(tracks) >= MAX_TRACKS:
                raise CueError("more than 99 tracks")
            tracks.append(_TocTrack(len(tracks) + 1, words[1].upper()))
        elif key in ("FILE", "AUDIOFILE", "DATAFILE"):
            _need(words, 2)
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
        elif key in ("SILENCE", "ZERO", "START"):
            _need(words, 2)
            if not tracks:
                raise CueError(f"{key} before any TRACK")
            value = _toc_time(words[-1])
            if key == "START":
                tracks[-1].start = value
            else:
                tracks[-1].silence += value
        elif key == "ISRC":
            _need(words, 2)
            if tracks:
                tracks[-1].isrc = words[1]
        elif key == "CATALOG":
            _need(words, 2)
            catalog = words[1]
        elif key in ("COPY", "PRE_EMPHASIS", "FOUR_CHANNEL_AUDIO") and tracks:
            tracks[-1].flags.append({"COPY": "DCP", "PRE_EMPHASIS": "PRE"}.get(key, "4CH"))
        elif key not in (
            "CD_DA",
            "CD_ROM",
            "CD_ROM_XA",
            "NO",
            "TWO_CHANNEL_AUDIO",
            "COPY",
            "PRE_EMPHASIS",
            "FOUR_CHANNEL_AUDIO",
            "INDEX",
            "PREGAP",
        ):
            raise CueError(f"unknown TOC statement: {words[0][:40]!r}")
    if not tracks:
        raise CueError("no tracks")
    return CueSheet(tuple(files), tuple(t.freeze() for t in tracks), catalog, disc_text)


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


def parse_sheet(data: bytes, *, name: str = "") -> CueSheet:
    """Read sheet bytes, as a ``.toc`` when the name says so or the text looks like one, else as a CUE sheet."""
    text = decode_sheet(data)
    head = text.lstrip()[:16].upper()
    if name.lower().endswith(".toc") or head.startswith(("CD_DA", "CD_ROM", 'CATALOG "', "//")):
        return parse_toc(text)
    return parse_cue(text)


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
