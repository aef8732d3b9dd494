"""DVD-Video IFO files: VIDEO_TS.IFO and VTS_nn_0.IFO bytes in, a `DvdInfo` of titles out.

The layout is libdvdread's (ifo_types.h): the VMGI's title table (TT_SRPT) names each title's title set (VTS)
and its number inside it (TTN); each VTSI holds the stream attributes, the chapter table (VTS_PTT_SRPT: chapter
-> program chain and program) and the program chains (VTS_PGCI) with their cells. A title's length is its first
PGC's BCD playback time, the way lsdvd reports it. A title lists only the title set's audio and subpicture streams
its first PGC enables (the PGC's stream-control tables, bit 15 and bit 31), keeping each stream's index in the
title set. Every read is bounds-checked, so malformed input raises
`DvdIfoError` and nothing else.

The records are NamedTuples (immutable, compared and hashed by value, as frozen dataclasses are): creating twelve
frozen dataclasses when the module loads cost ~5 ms of every DVD scan's start-up, a NamedTuple a tenth of that.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import NamedTuple

from amphigory_daemon.formats.errors import FormatError

SECTOR = 2048
VMG_MAGIC = b"DVDVIDEO-VMG"
VTS_MAGIC = b"DVDVIDEO-VTS"

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_TABLE_HEAD = struct.Struct(">HHI")  # entry count, reserved, last byte
_TT_ENTRY = struct.Struct(">BBHHBBI")  # 12 bytes
_PGCI_SRP = struct.Struct(">BBHI")  # 8 bytes
_CELL_PLAYBACK = struct.Struct(">BBBBIIIII")  # 24 bytes
_CELL_POSITION = struct.Struct(">HBB")  # 4 bytes
_PGC_HEAD = struct.Struct(">HBBI")  # reserved, programs, cells, playback time
_AUDIO_CONTROL = struct.Struct(">8H")  # at PGC + 0x0C; bit 15: the stream is available in this PGC
_SUBPICTURE_CONTROL = struct.Struct(">32I")  # at PGC + 0x1C; bit 31: the stream is available in this PGC

_AUDIO_CODECS = {0: "ac3", 2: "mpeg1", 3: "mpeg2", 4: "lpcm", 6: "dts"}
_FRAME_RATES = {1: 25, 3: 30}  # frame-rate code in the top bits of a BCD time -> nominal frames per second
_HEIGHTS = {"NTSC": 480, "PAL": 576}
_WIDTHS = (720, 704, 352, 352)


class DvdIfoError(FormatError):
    """A VIDEO_TS.IFO or VTS_nn_0.IFO that is truncated, has the wrong magic, or points outside itself."""


class DvdVideo(NamedTuple):
    """A title set's video attributes."""

    mpeg_version: int
    standard: str  # "NTSC" or "PAL"
    aspect: str  # "4:3" or "16:9"
    width: int
    height: int
    letterboxed: bool


class DvdAudio(NamedTuple):
    """One audio stream of a title set: its index there, codec, channel count, ISO 639-1 language ('' when unset)."""

    stream_index: int  # (not `index`, which a tuple has)
    codec: str
    channels: int
    language: str
    sample_rate: int


class DvdSubtitle(NamedTuple):
    """One subpicture stream of a title set: its index there and its ISO 639-1 language ('' when unset)."""

    stream_index: int
    language: str


class DvdCell(NamedTuple):
    """One cell of a program chain: where it lies in the title set's VOBs and how long it plays."""

    number: int  # 1-based position in its PGC
    vob_id: int
    cell_id: int
    start_ms: int  # from the start of its PGC, counting one angle of an angle block
    duration_ms: int
    first_sector: int
    last_sector: int
    angle_block: int  # 0: not in an angle block; 1 first, 2 middle, 3 last cell of one


class DvdChapter(NamedTuple):
    """One chapter (part of title): the program it starts at, its first and last cell, its sectors and start."""

    number: int
    pgc: int
    program: int
    first_cell: int
    last_cell: int
    first_sector: int
    last_sector: int
    start_ms: int


class DvdPgc(NamedTuple):
    """A program chain: its BCD length, the entry cell of each program, its cells, and which streams it enables."""

    number: int
    duration_ms: int
    frame_rate: float | None
    program_cells: tuple[int, ...]
    cells: tuple[DvdCell, ...]
    audio_enabled: frozenset[int] = frozenset()  # indexes into the VTS's audio streams
    subtitles_enabled: frozenset[int] = frozenset()  # indexes into the VTS's subpicture streams


class DvdTitleEntry(NamedTuple):
    """One row of the VMG's title table (TT_SRPT)."""

    number: int
    angles: int
    chapters: int
    vts: int
    ttn: int
    vts_sector: int


class DvdVmg(NamedTuple):
    """The parsed VIDEO_TS.IFO: provider id, title-set count and title table."""

    provider_id: str
    vts_count: int
    titles: tuple[DvdTitleEntry, ...]


class DvdVts(NamedTuple):
    """The parsed VTS_nn_0.IFO: stream attributes, chapter table (per TTN: (pgcn, pgn) pairs) and PGCs."""

    video: DvdVideo
    audio: tuple[DvdAudio, ...]
    subtitles: tuple[DvdSubtitle, ...]
    parts: tuple[tuple[tuple[int, int], ...], ...]
    pgcs: tuple[DvdPgc, ...]


class DvdSegment(NamedTuple):
    """One piece of content a title plays: the same (vts, vob, cell, sectors) in two titles is the same video."""

    vts: int
    vob_id: int
    cell_id: int
    first_sector: int
    last_sector: int


class DvdTitle(NamedTuple):
    """One playable title, as lsdvd sees it: length and streams from its first PGC; cells of all its PGCs in order."""

    number: int
    vts: int
    ttn: int
    pgc: int
    duration_ms: int
    frame_rate: float | None
    chapter_count: int
    angles: int
    video: DvdVideo
    audio: tuple[DvdAudio, ...]
    subtitles: tuple[DvdSubtitle, ...]
    chapters: tuple[DvdChapter, ...]
    cells: tuple[DvdCell, ...]

    @property
    def segment_map(self) -> tuple[DvdSegment, ...]:
        """The cells in play order as segments; compare two titles' maps to find duplicates."""
        return tuple(DvdSegment(self.vts, c.vob_id, c.cell_id, c.first_sector, c.last_sector) for c in self.cells)


class DvdInfo(NamedTuple):
    """A whole DVD-Video disc: provider id, title-set count, and every title in title-number order."""

    provider_id: str
    vts_count: int
    titles: tuple[DvdTitle, ...]


def _at(st: struct.Struct, data: bytes, offset: int, what: str) -> tuple[int, ...]:
    if offset < 0 or offset + st.size > len(data):
        raise DvdIfoError(f"{what} at byte {offset} lies past the end ({len(data)} bytes)")
    return st.unpack_from(data, offset)


def _u16(data: bytes, offset: int, what: str) -> int:
    return _at(_U16, data, offset, what)[0]


def _u32(data: bytes, offset: int, what: str) -> int:
    return _at(_U32, data, offset, what)[0]


def _rows(st: struct.Struct, data: bytes, offset: int, count: int, what: str) -> list[tuple[int, ...]]:
    end = offset + count * st.size
    if offset < 0 or end > len(data):
        raise DvdIfoError(f"{what}: {count} entries at byte {offset} run past the end ({len(data)} bytes)")
    return list(st.iter_unpack(data[offset:end]))


def _bcd(value: int) -> int:
    return (value >> 4) * 10 + (value & 0x0F)


def dvd_time_ms(raw: int) -> tuple[int, float | None]:
    """A 4-byte BCD playback time (hh mm ss ff, frame-rate code in ff's top bits) in ms, and its frame rate."""
    fps = _FRAME_RATES.get(raw >> 6 & 3)
    ms = _bcd(raw >> 24) * 3_600_000 + _bcd(raw >> 16 & 0xFF) * 60_000 + _bcd(raw >> 8 & 0xFF) * 1000
    if fps is None:
        return ms, None
    frames = _bcd(raw & 0x3F)
    return ms + (frames * 2000 + fps) // (2 * fps), (25.0 if fps == 25 else 29.97)


def _language(code: bytes) -> str:
    return code.decode("ascii") if code.isalpha() and code.isascii() else ""


def _check_magic(data: bytes, magic: bytes) -> None:
    if len(data) < SECTOR:
        raise DvdIfoError(f"{magic.decode()} file is {len(data)} bytes, shorter than one {SECTOR}-byte sector")
    if data[:12] != magic:
        raise DvdIfoError(f"expected magic {magic.decode()!r}, found {data[:12]!r}")


def parse_vmg(data: bytes) -> DvdVmg:
    """Read VIDEO_TS.IFO (or .BUP): provider id, number of title sets and the title table."""
    _check_magic(data, VMG_MAGIC)
    vts_count = _u16(data, 0x3E, "VTS count")
    provider = data[0x40:0x60].decode("latin-1").strip("\x00 ")
    base = _u32(data, 0xC4, "TT_SRPT sector") * SECTOR
    if base == 0:
        raise DvdIfoError("VMG has no title table (TT_SRPT sector is 0)")
    count = _at(_TABLE_HEAD, data, base, "TT_SRPT header")[0]
    rows = _rows(_TT_ENTRY, data, base + 8, count, "TT_SRPT")
    titles = tuple(
        DvdTitleEntry(number=i, angles=r[1], chapters=r[2], vts=r[4], ttn=r[5], vts_sector=r[6])
        for i, r in enumerate(rows, 1)
    )
    return DvdVmg(provider_id=provider, vts_count=vts_count, titles=titles)


def _video(data: bytes) -> DvdVideo:
    b0, b1 = data[0x200], data[0x201]
    standard = "PAL" if b0 >> 4 & 3 == 1 else "NTSC"
    return DvdVideo(
        mpeg_version=2 if b0 >> 6 == 1 else 1,
        standard=standard,
        aspect="16:9" if b0 >> 2 & 3 == 3 else "4:3",
        width=_WIDTHS[b1 >> 2 & 3],
        height=_HEIGHTS[standard] // (2 if b1 >> 2 & 3 == 3 else 1),
        letterboxed=bool(b1 & 2),
    )


def _audio(data: bytes) -> tuple[DvdAudio, ...]:
    count = min(_u16(data, 0x202, "audio count"), 8)
    streams = []
    for i in range(count):
        attr = data[0x204 + 8 * i : 0x20C + 8 * i]
        codec = _AUDIO_CODECS.get(attr[0] >> 5, f"unknown{attr[0] >> 5}")
        lang = _language(attr[2:4]) if attr[0] >> 2 & 3 == 1 else ""
        rate = 96000 if attr[1] >> 4 & 3 == 1 else 48000
        streams.append(DvdAudio(i, codec, (attr[1] & 7) + 1, lang, rate))
    return tuple(streams)


def _subtitles(data: bytes) -> tuple[DvdSubtitle, ...]:
    count = min(_u16(data, 0x254, "subpicture count"), 32)
    return tuple(
        DvdSubtitle(i, _language(data[0x258 + 6 * i : 0x25A + 6 * i]) if data[0x256 + 6 * i] & 3 == 1 else "")
        for i in range(count)
    )


def _parts(data: bytes) -> tuple[tuple[tuple[int, int], ...], ...]:
    base = _u32(data, 0xC8, "VTS_PTT_SRPT sector") * SECTOR
    count, _, last = _at(_TABLE_HEAD, data, base, "VTS_PTT_SRPT header")
    offsets = _rows(_U32, data, base + 8, count, "VTS_PTT_SRPT offsets")
    table_end = min(last + 1, len(data) - base)
    parts: list[tuple[tuple[int, int], ...]] = []
    budget = table_end // 4  # overlapping ranges must not multiply the work
    for i, (start,) in enumerate(offsets):
        end = offsets[i + 1][0] if i + 1 < count else table_end
        n = max(0, (min(end, table_end) - start) // 4)
        budget -= n
        if budget < 0:
            raise DvdIfoError("VTS_PTT_SRPT: chapter ranges overlap or exceed the table")
        if n == 0:
            parts.append(())
            continue
        flat = _at(struct.Struct(f">{2 * n}H"), data, base + start, "VTS_PTT_SRPT entries")
        parts.append(tuple(zip(flat[::2], flat[1::2], strict=True)))
    return tuple(parts)


def _pgc(data: bytes, offset: int, number: int) -> DvdPgc:
    _, programs, ncells, time = _at(_PGC_HEAD, data, offset, f"PGC {number}")
    program_map = _u16(data, offset + 0xE6, "program map offset")
    playback = _u16(data, offset + 0xE8, "cell playback offset")
    position = _u16(data, offset + 0xEA, "cell position offset")
    entry_cells = tuple(data[offset + program_map : offset + program_map + programs])
    if len(entry_cells) != programs:
        raise DvdIfoError(f"PGC {number}: program map runs past the end")
    cells: list[DvdCell] = []
    start = 0
    if ncells:
        plays = _rows(_CELL_PLAYBACK, data, offset + playback, ncells, f"PGC {number} cells")
        places = _rows(_CELL_POSITION, data, offset + position, ncells, f"PGC {number} cell positions")
        for n, (p, q) in enumerate(zip(plays, places, strict=True), 1):
            block = p[0] >> 6 if p[0] >> 4 & 3 == 1 else 0
            ms = dvd_time_ms(p[4])[0]
            cells.append(DvdCell(n, q[0], q[2], start, ms, p[5], p[8], block))
            if block < 2:  # later cells of an angle block play instead of the first, not after it
                start += ms
    audio = _at(_AUDIO_CONTROL, data, offset + 0x0C, f"PGC {number} audio control")
    subpictures = _at(_SUBPICTURE_CONTROL, data, offset + 0x1C, f"PGC {number} subpicture control")
    ms, fps = dvd_time_ms(time)
    return DvdPgc(
        number,
        ms,
        fps,
        entry_cells,
        tuple(cells),
        frozenset(i for i, control in enumerate(audio) if control & 0x8000),
        frozenset(i for i, control in enumerate(subpictures) if control & 0x8000_0000),
    )


def _pgcs(data: bytes) -> tuple[DvdPgc, ...]:
    base = _u32(data, 0xCC, "VTS_PGCI sector") * SECTOR
    count = _at(_TABLE_HEAD, data, base, "VTS_PGCI header")[0]
    srps = _rows(_PGCI_SRP, data, base + 8, count, "VTS_PGCI search pointers")
    pgcs = tuple(_pgc(data, base + srp[3], n) for n, srp in enumerate(srps, 1))
    if sum(len(pgc.cells) for pgc in pgcs) > len(data) // 4:
        raise DvdIfoError("VTS_PGCI: the PGCs claim more cells than the file can hold")
    return pgcs


def parse_vts(data: bytes) -> DvdVts:
    """Read one VTS_nn_0.IFO (or .BUP): stream attributes, chapter table and program chains."""
    _check_magic(data, VTS_MAGIC)
    return DvdVts(_video(data), _audio(data), _subtitles(data), _parts(data), _pgcs(data))


def _chapters(vts: DvdVts, parts: tuple[tuple[int, int], ...], what: str) -> tuple[DvdChapter, ...]:
    chapters = []
    for number, (pgcn, pgn) in enumerate(parts, 1):
        if not 1 <= pgcn <= len(vts.pgcs):
            raise DvdIfoError(f"{what} chapter {number}: PGC {pgcn} does not exist")
        pgc = vts.pgcs[pgcn - 1]
        if not 1 <= pgn <= len(pgc.program_cells):
            raise DvdIfoError(f"{what} chapter {number}: program {pgn} not in PGC {pgcn}")
        first = pgc.program_cells[pgn - 1]
        last = pgc.program_cells[pgn] - 1 if pgn < len(pgc.program_cells) else len(pgc.cells)
        if not 1 <= first <= last <= len(pgc.cells):
            raise DvdIfoError(f"{what} chapter {number}: cells {first}..{last} not in PGC {pgcn}")
        fc, lc = pgc.cells[first - 1], pgc.cells[last - 1]
        chapters.append(DvdChapter(number, pgcn, pgn, first, last, fc.first_sector, lc.last_sector, fc.start_ms))
    return tuple(chapters)


def _title(entry: DvdTitleEntry, vts: DvdVts, chapters: tuple[DvdChapter, ...]) -> DvdTitle:
    pgc = vts.pgcs[chapters[0].pgc - 1]
    pgc_numbers = dict.fromkeys(chapter.pgc for chapter in chapters)  # usually one; some discs use one per chapter
    return DvdTitle(
        number=entry.number,
        vts=entry.vts,
        ttn=entry.ttn,
        pgc=pgc.number,
        duration_ms=pgc.duration_ms,
        frame_rate=pgc.frame_rate,
        chapter_count=entry.chapters,
        angles=entry.angles,
        video=vts.video,
        audio=tuple(a for a in vts.audio if a.stream_index in pgc.audio_enabled),
        subtitles=tuple(s for s in vts.subtitles if s.stream_index in pgc.subtitles_enabled),
        chapters=chapters,
        cells=tuple(cell for n in pgc_numbers for cell in vts.pgcs[n - 1].cells),
    )


def read_dvd(vmg: bytes, vts: Mapping[int, bytes]) -> DvdInfo:
    """Read a disc's VIDEO_TS.IFO and its VTS_nn_0.IFO files (keyed by nn) into a `DvdInfo`."""
    manager = parse_vmg(vmg)
    sets: dict[int, DvdVts] = {}
    parts: dict[tuple[int, int], tuple[DvdChapter, ...]] = {}
    titles = []
    for entry in manager.titles:
        what = f"title {entry.number} (VTS {entry.vts} TTN {entry.ttn})"
        if entry.vts not in sets:
            if entry.vts not in vts:
                raise DvdIfoError(f"{what}: the VTS's IFO was not given")
            sets[entry.vts] = parse_vts(vts[entry.vts])
        title_set = sets[entry.vts]
        if (entry.vts, entry.ttn) not in parts:
            if not 1 <= entry.ttn <= len(title_set.parts) or not title_set.parts[entry.ttn - 1]:
                raise DvdIfoError(f"{what}: no chapter table for this TTN")
            parts[entry.vts, entry.ttn] = _chapters(title_set, title_set.parts[entry.ttn - 1], what)
        titles.append(_title(entry, title_set, parts[entry.vts, entry.ttn]))
    return DvdInfo(manager.provider_id, manager.vts_count, tuple(titles))
