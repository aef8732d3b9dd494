"""``makemkvcon -r`` robot output: text in, a `MakemkvDisc` (info) or progress events (rip) out.

Every robot line is ``KEY:field,field,...`` with double-quoted strings that escape ``"`` as ``\\"``. ``CINFO``,
``TINFO`` and ``SINFO`` carry numbered attributes (MakeMKV's ``AP_ItemAttributeId``: 2 name, 8 chapters, 9
duration, 11 size in bytes, 16 source file, 26 segment map, 27 output name...) of the disc, its titles and their
streams; ``DRV`` lists the drives MakeMKV sees (so a ripper can pick ``disc:N`` for a device); ``MSG`` carries
messages; ``PRGV/PRGT/PRGC`` report progress while ripping. Bulk attribute lines are matched with whole-text
regular expressions, so a 14,000-line log parses in a few milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from amphigory_daemon.formats.errors import FormatError

PROGRESS_MAX = 65536
MAIN_FEATURE_MARKER = "FPL_MainFeature"
STREAM_KINDS = {6201: "video", 6202: "audio", 6203: "subtitles"}
DISC_TYPES = {6206: "dvd", 6209: "bluray", 6212: "hddvd", 6213: "mkv"}
DRIVE_NO_DRIVE = 256
DRIVE_INSERTED = 2
_MSG_BOX_ERROR = 516
_ERROR_CODES = frozenset({2003, 2019, 2020, 2023, 2024, 5003, 5010, 5055, 5069, 5073, 5080})
_MAX_INDEX = 1 << 20

# Anchored on a leading newline (the text gets one prepended) so the engine can jump between line starts.
_END = r'"([^\r\n]*)"\r?(?=\n|$)'
_CINFO = re.compile(r"\nCINFO:(\d{1,4}),(\d{1,9})," + _END)
_TINFO = re.compile(r"\nTINFO:(\d{1,7}),(\d{1,4}),(\d{1,9})," + _END)
_SINFO = re.compile(r"\nSINFO:(\d{1,7}),(\d{1,7}),([1-7]|1[349]|22),(\d{1,9})," + _END)
_OTHER = re.compile(r"\n((?:MSG|DRV|TCOUNT):[^\r\n]*)")
_FIELD = re.compile(r'"((?:[^"\\]|\\.)*)"|([^,"]*)')
_ESCAPE = re.compile(r"\\(.)", re.S)
_DURATION = re.compile(r"(\d{1,5}):(\d\d):(\d\d)")


class MakemkvError(FormatError):
    """Robot output that is not a MakeMKV log, or a log that lists no titles."""


@dataclass(frozen=True)
class MakemkvStream:
    """One SINFO stream of a title: kind (video/audio/subtitles), codec, language, channels."""

    index: int
    kind: str
    codec_id: str | None = None
    codec: str | None = None
    codec_long: str | None = None
    language: str | None = None
    language_name: str | None = None
    channels: int | None = None
    bitrate: str | None = None
    video_size: str | None = None
    flags: int = 0
    name: str | None = None


@dataclass(frozen=True)
class MakemkvTitle:
    """One TINFO title with its streams; ``index`` is the number ``makemkvcon mkv disc:N <index>`` takes."""

    index: int
    name: str | None = None
    duration_seconds: int | None = None
    chapters: int | None = None
    size_bytes: int | None = None
    size_text: str | None = None
    source_file: str | None = None
    original_title_id: str | None = None
    segment_map: str | None = None
    output_file: str | None = None
    comment: str | None = None
    angle: int | None = None
    main_feature: bool = False
    streams: tuple[MakemkvStream, ...] = ()

    @property
    def segments(self) -> tuple[str, ...]:
        """The segment map as a tuple of its comma-separated items (clip numbers or cell ranges)."""
        return tuple(s.strip() for s in self.segment_map.split(",")) if self.segment_map else ()

    def streams_of(self, kind: str) -> tuple[MakemkvStream, ...]:
        return tuple(s for s in self.streams if s.kind == kind)


@dataclass(frozen=True)
class MakemkvDrive:
    """A DRV line: MakeMKV's drive index (``disc:N``), state, drive name, disc label and device path."""

    index: int
    state: int
    flags: int
    name: str
    disc_label: str
    device: str

    @property
    def has_disc(self) -> bool:
        return self.state == DRIVE_INSERTED


@dataclass(frozen=True)
class MakemkvMessage:
    """A MSG line: code, flags, the formatted text, its format string and parameters."""

    code: int
    flags: int
    text: str
    format: str = ""
    params: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        """An error box, a known error code, or a copy that reports failed titles."""
        if self.flags & _MSG_BOX_ERROR == _MSG_BOX_ERROR or self.code in _ERROR_CODES:
            return True
        return self.code == 5037 and len(self.params) > 1 and self.params[1] not in ("", "0")


@dataclass(frozen=True)
class MakemkvDisc:
    """Everything ``makemkvcon -r info`` said about one disc."""

    disc_type: str | None
    type_code: int | None
    name: str | None
    volume_name: str | None
    title_count: int | None
    titles: tuple[MakemkvTitle, ...]
    drives: tuple[MakemkvDrive, ...] = ()
    messages: tuple[MakemkvMessage, ...] = field(default=(), repr=False)

    @property
    def complete(self) -> bool:
        """True when as many titles were read as TCOUNT announced."""
        return self.title_count is None or self.title_count == len(self.titles)

    def drive_for_device(self, device: str) -> MakemkvDrive | None:
        """The drive MakeMKV lists for a device path (``/dev/sr0``, ``/dev/rdisk4``)."""
        wanted = {device, device.replace("/dev/disk", "/dev/rdisk")}
        return next((d for d in self.drives if d.device in wanted), None)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def split_fields(rest: str) -> list[str]:
    """The comma-separated fields after ``KEY:``, quotes removed and escapes resolved."""
    out: list[str] = []
    pos, n = 0, len(rest)
    while True:
        match = _FIELD.match(rest, pos)
        if match is None:  # pragma: no cover - the pattern matches the empty string
            raise MakemkvError("unreadable field")
        quoted = match.group(1)
        out.append(_unescape(quoted) if quoted is not None else match.group(2))
        pos = match.end()
        if pos >= n:
            return out
        if rest[pos] != ",":
            raise MakemkvError(f"junk after field: {rest[pos : pos + 20]!r}")
        pos += 1
        if pos == n:
            out.append("")
            return out


def split_line(line: str) -> tuple[str, list[str]]:
    """One robot line as its key and fields; `MakemkvError` when it is not a robot line."""
    key, sep, rest = line.rstrip("\r\n").partition(":")
    if not sep or not key.isalpha() or not key.isupper():
        raise MakemkvError(f"not a robot line: {line[:40]!r}")
    return key, split_fields(rest)


def _num(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def parse_duration(text: str) -> int | None:
    """``h:mm:ss`` to seconds; None when the text is not a duration."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _decode(data: str | bytes) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


_TITLE_ATTRS = {
    2: "name",
    10: "size_text",
    16: "source_file",
    24: "original_title_id",
    26: "segment_map",
    27: "output_file",
    49: "comment",
}
_STREAM_ATTRS = {
    "5": "codec_id",
    "6": "codec",
    "7": "codec_long",
    "3": "language",
    "4": "language_name",
    "13": "bitrate",
    "19": "video_size",
    "2": "name",
}
_NONE = ("0", "")
_StreamAttrs = dict[str, tuple[str, str]]


def _title(
    index: int,
    attrs: dict[int, str],
    main: bool,
    streams: list[tuple[int, _StreamAttrs]],
    cache: dict[object, MakemkvStream],
) -> MakemkvTitle:
    values: dict[str, object] = {name: attrs[a] for a, name in _TITLE_ATTRS.items() if a in attrs}
    return MakemkvTitle(
        index=index,
        duration_seconds=parse_duration(attrs.get(9, "")),
        chapters=_num(attrs.get(8, "")),
        size_bytes=_num(attrs.get(11, "")),
        angle=_num(attrs.get(15, "")),
        main_feature=main,
        streams=tuple(_cached_stream(i, s, cache) for i, s in sorted(streams, key=lambda item: item[0])),
        **values,  # type: ignore[arg-type]
    )


def _cached_stream(index: int, attrs: _StreamAttrs, cache: dict[object, MakemkvStream]) -> MakemkvStream:
    """Titles of one disc mostly repeat the same streams: build each distinct one once."""
    key = (index, *attrs.items())
    found = cache.get(key)
    if found is None:
        found = cache[key] = _stream(index, attrs)
    return found


def _stream(index: int, attrs: _StreamAttrs) -> MakemkvStream:
    code, text = attrs.get("1", _NONE)
    kind = STREAM_KINDS.get(_num(code) or 0) or (_unescape(text).lower() or "unknown")
    values = {name: _unescape(attrs[a][1]) for a, name in _STREAM_ATTRS.items() if a in attrs}
    return MakemkvStream(
        index=index,
        kind=kind,
        channels=_num(attrs.get("14", _NONE)[1]),
        flags=_num(attrs.get("22", _NONE)[1]) or 0,
        **values,
    )


def _streams(text: str) -> dict[int, list[tuple[int, _StreamAttrs]]]:
    """SINFO attributes grouped by title and stream (the hot loop: string keys, no conversion per line)."""
    grouped: dict[tuple[str, str], _StreamAttrs] = {}
    get = grouped.get
    for t, s, attr, code, value in _SINFO.findall(text):
        attrs = get((t, s))
        if attrs is None:
            attrs = grouped[(t, s)] = {}
        attrs[attr] = (code, value)
    out: dict[int, list[tuple[int, _StreamAttrs]]] = {}
    for (t, s), attrs in grouped.items():
        if int(t) <= _MAX_INDEX and int(s) <= _MAX_INDEX:
            out.setdefault(int(t), []).append((int(s), attrs))
    return out


def parse_info(data: str | bytes) -> MakemkvDisc:
    """Read the output of ``makemkvcon -r info``; `MakemkvError` when it holds no titles."""
    text = "\n" + _decode(data)
    disc: dict[int, tuple[int, str]] = {}
    for attr, code, value in _CINFO.findall(text):
        disc[int(attr)] = (int(code), _unescape(value))
    titles: dict[int, dict[int, str]] = {}
    mains: set[int] = set()
    for t, attr, _code, value in _TINFO.findall(text):
        index = int(t)
        if index > _MAX_INDEX:
            continue
        value = _unescape(value)
        titles.setdefault(index, {})[int(attr)] = value
        if MAIN_FEATURE_MARKER in value:
            mains.add(index)
    streams = _streams(text)
    count, drives, messages = _other_lines(text)
    for index in streams:
        titles.setdefault(index, {})
    if not titles:
        raise MakemkvError("no titles in MakeMKV output" if count is None else f"TCOUNT {count} but no titles")
    type_code, type_text = disc.get(1, (None, None))
    cache: dict[object, MakemkvStream] = {}
    return MakemkvDisc(
        disc_type=DISC_TYPES.get(type_code or 0) or (type_text or None),
        type_code=type_code,
        name=disc.get(2, (0, None))[1],
        volume_name=disc.get(32, (0, None))[1],
        title_count=count,
        titles=tuple(_title(i, titles[i], i in mains, streams.get(i, []), cache) for i in sorted(titles)),
        drives=tuple(drives),
        messages=tuple(messages),
    )


def _other_lines(text: str) -> tuple[int | None, list[MakemkvDrive], list[MakemkvMessage]]:
    """TCOUNT, DRV and MSG lines (every line the attribute patterns did not take)."""
    count: int | None = None
    drives: list[MakemkvDrive] = []
    messages: list[MakemkvMessage] = []
    for line in _OTHER.findall(text):
        try:
            key, fields = split_line(line)
        except MakemkvError:
            continue
        if key == "TCOUNT":
            count = _num(fields[0])
        elif key == "DRV":
            drive = _drive(fields)
            if drive is not None:
                drives.append(drive)
        elif key == "MSG":
            message = _message(fields)
            if message is not None:
                messages.append(message)
    return count, drives, messages


def _drive(fields: list[str]) -> MakemkvDrive | None:
    if len(fields) < 7:
        return None
    index, state, flags = _num(fields[0]), _num(fields[1]), _num(fields[3])
    if index is None or state is None:
        return None
    return MakemkvDrive(index, state, flags or 0, fields[4], fields[5], fields[6])


def _message(fields: list[str]) -> MakemkvMessage | None:
    if len(fields) < 4:
        return None
    code, flags = _num(fields[0]), _num(fields[1])
    if code is None:
        return None
    return MakemkvMessage(code, flags or 0, fields[3], fields[4] if len(fields) > 4 else "", tuple(fields[5:]))


@dataclass(frozen=True)
class ProgressValue:
    """PRGV: progress of the current sub-task and of the whole task, each out of ``maximum``."""

    current: int
    total: int
    maximum: int = PROGRESS_MAX

    @property
    def fraction(self) -> float:
        """Fraction of the whole task done, 0..1."""
        return min(1.0, self.total / self.maximum) if self.maximum > 0 else 0.0

    @property
    def current_fraction(self) -> float:
        return min(1.0, self.current / self.maximum) if self.maximum > 0 else 0.0


@dataclass(frozen=True)
class ProgressTitle:
    """PRGT (the whole task) or PRGC (the current sub-task) starting: its message code and name."""

    kind: str
    code: int
    id: int
    name: str

    @property
    def is_total(self) -> bool:
        return self.kind == "PRGT"


ProgressEvent = ProgressValue | ProgressTitle | MakemkvMessage


def parse_progress_line(line: str) -> ProgressEvent | None:
    """One line of ``makemkvcon -r --progress=-same mkv`` output as an event; None for other lines.

    A line that claims to be PRGV/PRGT/PRGC/MSG but cannot be read raises `MakemkvError`.
    """
    stripped = line.strip()
    if not stripped or not stripped.startswith(("PRGV:", "PRGT:", "PRGC:", "MSG:")):
        return None
    key, fields = split_line(stripped)
    if key == "MSG":
        message = _message(fields)
        if message is None:
            raise MakemkvError(f"bad MSG line: {stripped[:40]!r}")
        return message
    numbers = [_num(f) for f in fields[:3]]
    if key == "PRGV":
        if len(numbers) < 3 or None in numbers:
            raise MakemkvError(f"bad PRGV line: {stripped[:40]!r}")
        current, total, maximum = (n or 0 for n in numbers)
        return ProgressValue(current, total, maximum)
    if len(fields) < 3 or numbers[0] is None or numbers[1] is None:
        raise MakemkvError(f"bad {key} line: {stripped[:40]!r}")
    return ProgressTitle(key, numbers[0], numbers[1], fields[2])


@dataclass
class RipProgress:
    """Running state of a rip, fed one robot line at a time: task names, fraction done and any errors."""

    task: str = ""
    subtask: str = ""
    fraction: float = 0.0
    errors: list[MakemkvMessage] = field(default_factory=list)

    def feed(self, line: str) -> ProgressEvent | None:
        """Apply one line; malformed progress lines are ignored rather than ending the rip."""
        try:
            event = parse_progress_line(line)
        except MakemkvError:
            return None
        if isinstance(event, ProgressValue):
            self.fraction = event.fraction
        elif isinstance(event, ProgressTitle):
            if event.is_total:
                self.task = event.name
            else:
                self.subtask = event.name
        elif isinstance(event, MakemkvMessage) and event.is_error:
            self.errors.append(event)
        return event
