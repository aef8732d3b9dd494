"""DVD IFO reader: the two real discs against EXPECTED_parsed.txt and PROVENANCE.md, clear errors, fuzzing."""

from __future__ import annotations

import ast
import re
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amphigory_daemon.formats.dvd_ifo import (
    DvdIfoError,
    DvdInfo,
    dvd_time_ms,
    parse_vmg,
    parse_vts,
    read_dvd,
)
from amphigory_daemon.formats.errors import FormatError

Disc = tuple[bytes, dict[int, bytes]]
DISCS = ("DVD-Read_idiocracy", "DVD-Read_shadok1")
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_HEAD = re.compile(r"== (\S+) VTS count (\d+) titles (\d+) provider '(.*)'")
_TITLE = re.compile(
    r" title\s+(\d+): vts=(\d+) ttn=(\d+) chapters=(\d+) angles=(\d+) pgc=(\d+) len=\S+@([\d.]+) \((\d+) ms\)"
    r" video=(\w+) (\S+) audio=(\[.*\]) subs=(\[.*\])"
)


def _load(shared_fixtures: Path, disc: str) -> Disc:
    folder = shared_fixtures / "dvd_ifo" / disc / "VIDEO_TS"
    vts = {int(p.name[4:6]): p.read_bytes() for p in folder.glob("VTS_*_0.IFO")}
    return (folder / "VIDEO_TS.IFO").read_bytes(), vts


def _expected(shared_fixtures: Path) -> dict[str, tuple[re.Match[str], list[re.Match[str]]]]:
    discs: dict[str, tuple[re.Match[str], list[re.Match[str]]]] = {}
    lines = (shared_fixtures / "dvd_ifo" / "EXPECTED_parsed.txt").read_text().splitlines()
    for line in lines:
        if head := _HEAD.fullmatch(line):
            titles: list[re.Match[str]] = []
            discs[head[1]] = (head, titles)
        elif title := _TITLE.fullmatch(line):
            titles.append(title)
        else:
            raise AssertionError(f"unrecognised EXPECTED line: {line!r}")
    return discs


@pytest.fixture(scope="module")
def idiocracy(shared_fixtures: Path) -> Disc:
    return _load(shared_fixtures, "DVD-Read_idiocracy")


@pytest.fixture(scope="module")
def shadok(shared_fixtures: Path) -> Disc:
    return _load(shared_fixtures, "DVD-Read_shadok1")


@pytest.mark.parametrize("disc", DISCS)
def test_every_expected_value(shared_fixtures: Path, disc: str) -> None:
    head, rows = _expected(shared_fixtures)[disc]
    info = read_dvd(*_load(shared_fixtures, disc))
    assert (info.vts_count, len(info.titles), info.provider_id) == (int(head[2]), int(head[3]), head[4])
    assert len(rows) == len(info.titles)
    for row, title in zip(rows, info.titles, strict=True):
        number, vts, ttn, chapters, angles, pgc = (int(row[i]) for i in range(1, 7))
        assert (title.number, title.vts, title.ttn, title.chapter_count, title.angles, title.pgc) == (
            number,
            vts,
            ttn,
            chapters,
            angles,
            pgc,
        )
        assert title.frame_rate == float(row[7])
        assert title.duration_ms == int(row[8])
        assert (title.video.standard, title.video.aspect) == (row[9], row[10])
        assert [(a.codec, a.language, a.channels) for a in title.audio] == ast.literal_eval(row[11])
        assert [s.language for s in title.subtitles] == ast.literal_eval(row[12])
        assert len(title.chapters) == title.chapter_count


def test_idiocracy_provenance_values(idiocracy: Disc) -> None:
    """The values DVD::Read's own tests state for Idiocracy title 1 (VTS 5, PGC 1)."""
    title = read_dvd(*idiocracy).titles[0]
    chapters = title.chapters
    assert (chapters[1].first_sector, chapters[19].first_sector) == (78148, 1863571)
    assert (chapters[1].last_sector, chapters[20].last_sector) == (175915, 1980534)
    assert chapters[1].start_ms == 203_000
    assert len(title.cells) == 33
    assert (title.cells[0].first_sector, title.cells[0].cell_id) == (0, 1)
    assert parse_vts(idiocracy[1][5]).pgcs[0].program_cells[:1] == (1,)
    assert len(parse_vts(idiocracy[1][5]).pgcs[0].program_cells) == 21
    assert title.audio[0].sample_rate == 48000 and title.video.height == 480


def test_shadok_provenance_values(shadok: Disc) -> None:
    """Shadoks: PAL 4:3 720x576 MPEG-2, one LPCM stereo stream without language, no subpictures."""
    vts1 = parse_vts(shadok[1][1])
    assert (vts1.video.mpeg_version, vts1.video.width, vts1.video.height) == (2, 720, 576)
    assert [(a.codec, a.channels, a.language, a.sample_rate) for a in vts1.audio] == [("lpcm", 2, "", 48000)]
    assert vts1.subtitles == ()
    assert len(vts1.parts) == 1
    main = max(read_dvd(*shadok).titles, key=lambda t: t.duration_ms)
    assert (main.number, main.vts, main.chapter_count, main.duration_ms) == (8, 8, 52, 7_435_960)


def test_segment_map_follows_cells(idiocracy: Disc) -> None:
    info = read_dvd(*idiocracy)
    title = info.titles[0]
    segments = title.segment_map
    assert len(segments) == len(title.cells)
    assert [(s.first_sector, s.last_sector) for s in segments] == [(c.first_sector, c.last_sector) for c in title.cells]
    assert all(s.vts == 5 for s in segments)
    starts = [s.first_sector for s in segments]
    assert starts == sorted(starts)
    maps = {t.segment_map for t in info.titles}
    assert len(maps) == len(info.titles)  # no two titles of this disc play the same cells


def test_dvd_time_bcd() -> None:
    assert dvd_time_ms(0x01240709 | 0xC0) == (5_047_300, 29.97)  # 01:24:07.09 @ 30 fps
    assert dvd_time_ms(0x02035524 | 0x40) == (7_435_960, 25.0)  # 02:03:55.24 @ 25 fps
    assert dvd_time_ms(0x00001405 | 0xC0) == (14_167, 29.97)  # 5 frames = 166.7 ms, rounded
    assert dvd_time_ms(0x00000000) == (0, None)


def test_wrong_magic_is_a_clear_error(idiocracy: Disc) -> None:
    vmg, vts = idiocracy
    with pytest.raises(DvdIfoError, match="DVDVIDEO-VMG"):
        parse_vmg(b"DVDVIDEO-VTS" + vmg[12:])
    with pytest.raises(DvdIfoError, match="DVDVIDEO-VTS"):
        read_dvd(vmg, {**vts, 5: vmg})


def test_truncated_files_are_clear_errors(idiocracy: Disc) -> None:
    vmg, vts = idiocracy
    with pytest.raises(DvdIfoError, match="shorter than one"):
        parse_vmg(vmg[:100])
    with pytest.raises(DvdIfoError, match="past the end"):
        parse_vmg(vmg[:2048])
    with pytest.raises(DvdIfoError, match="past the end"):
        parse_vts(vts[5][:4096])
    assert issubclass(DvdIfoError, FormatError) and issubclass(FormatError, ValueError)


def test_missing_title_set_is_a_clear_error(idiocracy: Disc) -> None:
    vmg, vts = idiocracy
    with pytest.raises(DvdIfoError, match=r"VTS 5 .*not given"):
        read_dvd(vmg, {n: data for n, data in vts.items() if n != 5})



def _survives(vmg: bytes, vts: dict[int, bytes]) -> DvdInfo | None:
    """Parse, allowing only DvdIfoError, and quickly (a hang shows as a slow call)."""
    start = time.perf_counter()
    try:
        return read_dvd(vmg, vts)
    except DvdIfoError:
        return None
    finally:
        assert time.perf_counter() - start < 10.0  # a hang, not slowness


def _edited(disc: Disc, which: int, edit: Callable[[bytearray], None]) -> Disc:
    """The disc with one file (0: the VMG, n: the nth VTS, wrapping) changed by `edit`."""
    vmg, vts = disc
    key = sorted(vts)[(which - 1) % len(vts)]
    data = bytearray(vmg if which == 0 else vts[key])
    edit(data)
    return (bytes(data), vts) if which == 0 else (vmg, {**vts, key: bytes(data)})


@FUZZ
@given(which=st.integers(0, 6), cut=st.integers(0, 1 << 17))
def test_fuzz_truncated(idiocracy: Disc, which: int, cut: int) -> None:
    def truncate(data: bytearray) -> None:
        del data[cut % (len(data) + 1) :]

    _survives(*_edited(idiocracy, which, truncate))


@FUZZ
@given(
    which=st.integers(0, 6),
    flips=st.lists(
        st.tuples(st.one_of(st.integers(0, 0x3FF), st.integers(0, 1 << 17)), st.integers(0, 7)),
        min_size=1,
        max_size=8,
    ),
)
def test_fuzz_bit_flips(idiocracy: Disc, which: int, flips: list[tuple[int, int]]) -> None:
    def flip(data: bytearray) -> None:
        for at, bit in flips:
            data[at % len(data)] ^= 1 << bit

    _survives(*_edited(idiocracy, which, flip))


@FUZZ
@given(
    which=st.integers(0, 9),
    at=st.one_of(st.integers(0, 0x3FF), st.integers(0, 1 << 17)),
    value=st.one_of(st.sampled_from([0, 1, 0xFF, 0xFFFF, 0xFFFFFFFF]), st.integers(0, 0xFFFFFFFF)),
)
def test_fuzz_overwritten_fields(shadok: Disc, which: int, at: int, value: int) -> None:
    def overwrite(data: bytearray) -> None:
        pos = (at % (len(data) - 4)) & ~1
        data[pos : pos + 4] = struct.pack(">I", value)

    _survives(*_edited(shadok, which, overwrite))


@FUZZ
@given(body=st.binary(max_size=6000), magic=st.sampled_from([b"DVDVIDEO-VMG", b"DVDVIDEO-VTS", b""]))
def test_fuzz_random_bytes(body: bytes, magic: bytes) -> None:
    data = magic + body
    _survives(data, {1: data})
    for parse in (parse_vmg, parse_vts):
        try:
            parse(data)
        except DvdIfoError:
            pass
