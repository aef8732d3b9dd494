"""CUE/TOC reading, TOC layout and rip byte ranges, on whipper's real sheets (../shared/fixtures, GPL: read there)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amphigory_daemon.formats.cue import (
    RAW_SECTOR,
    ByteRange,
    CueError,
    compute_toc,
    msf_to_frames,
    parse_cue,
    parse_sheet,
    track_byte_ranges,
)
from amphigory_daemon.formats.discid import freedb_disc_id
from amphigory_daemon.formats.errors import FormatError


def _whipper(root: Path) -> Path:
    return root / "audio_cd" / "whipper"


def _sheet_bytes(root: Path) -> list[bytes]:
    folder = _whipper(root)
    return [p.read_bytes() for p in sorted(folder.glob("*.cue")) + sorted(folder.glob("*.toc"))]


def test_every_whipper_sheet_parses(shared_fixtures: Path) -> None:
    folder = _whipper(shared_fixtures)
    for path in sorted(folder.glob("*.cue")) + sorted(folder.glob("*.toc")):
        sheet = parse_sheet(path.read_bytes(), name=path.name)
        assert sheet.tracks and all(t.start for t in sheet.tracks), path.name


def test_breeders_cd_text_catalog_isrc(shared_fixtures: Path) -> None:
    for name in ("breeders.cue", "breeders.toc"):
        sheet = parse_sheet((_whipper(shared_fixtures) / name).read_bytes(), name=name)
        assert len(sheet.tracks) == 13
        assert sheet.catalog == "0652637280326"
        assert (sheet.cdtext.performer, sheet.cdtext.title) == ("THE BREEDERS", "MOUNTAIN BATTLES")
        assert sheet.tracks[0].cdtext.title == "OVERGLAZED"
        assert sheet.tracks[0].isrc == "GBAFL0700213"


def test_strokes_one_frame_silence(shared_fixtures: Path) -> None:
    for name in ("strokes-someday.toc", "strokes-someday.eac.cue"):
        sheet = parse_sheet((_whipper(shared_fixtures) / name).read_bytes(), name=name)
        assert len(sheet.tracks) == 1 and sheet.tracks[0].pregap == 1
        assert sheet.tracks[0].flags == ("DCP",)


def test_jose_octal_escapes(shared_fixtures: Path) -> None:
    sheet = parse_sheet((_whipper(shared_fixtures) / "jose.toc").read_bytes(), name="jose.toc")
    assert sheet.cdtext.performer == "José González"


def test_eac_file_per_track_variants(shared_fixtures: Path) -> None:
    folder = _whipper(shared_fixtures)
    noncompliant = parse_cue((folder / "surferrosa.eac.noncompliant.cue").read_text(encoding="latin-1"))
    track3 = noncompliant.tracks[2]
    assert track3.index(0) is not None and track3.index(1) is not None
    assert track3.index(0).file != track3.index(1).file  # type: ignore[union-attr]
    leftout = parse_cue((folder / "surferrosa.eac.leftout.cue").read_text(encoding="latin-1"))
    assert leftout.tracks[2].pregap == 45 and len(leftout.files) == 21
    kanye = parse_cue((folder / "kanye.cue").read_text(encoding="latin-1"))
    assert not kanye.tracks[-1].is_audio and kanye.tracks[-1].start.number == 0
    separate = parse_cue((folder / "track-separate.cue").read_text())
    assert len(separate.files) == 4  # the same name four times is four files


@pytest.mark.parametrize(
    ("cue", "toc"),
    [
        ("bloc.cue", "bloc.toc"),
        ("cure.cue", "cure.toc"),
        ("breeders.cue", "breeders.toc"),
        ("surferrosa.eac.single.cue", "surferrosa.toc"),
    ],
)
def test_cue_layout_matches_toc(shared_fixtures: Path, cue: str, toc: str) -> None:
    """A single-file CUE with its WAV's size gives the TOC that cdrdao's .toc gives (and its REM DISCID)."""
    folder = _whipper(shared_fixtures)
    from_toc = compute_toc(parse_sheet((folder / toc).read_bytes(), name=toc))
    cue_sheet = parse_sheet((folder / cue).read_bytes(), name=cue)
    audio_frames = from_toc.leadout - 150 - sum(t.pregap for t in cue_sheet.tracks)
    from_cue = compute_toc(cue_sheet, {cue_sheet.files[0].name: audio_frames * RAW_SECTOR})
    assert from_cue == from_toc
    discid = dict(cue_sheet.rem)["DISCID"]
    assert freedb_disc_id(from_cue) == discid.lower()


def test_file_per_track_layout() -> None:
    sheet = parse_cue(
        'FILE "a.bin" BINARY\n TRACK 01 AUDIO\n  INDEX 01 00:00:00\n'
        " TRACK 02 AUDIO\n  INDEX 00 00:01:00\n"
        'FILE "b.bin" BINARY\n  INDEX 01 00:00:00\n'
        'FILE "c.bin" BINARY\n TRACK 03 AUDIO\n  PREGAP 00:02:00\n  INDEX 01 00:00:00\n'
    )
    sizes = {"a.bin": 100 * RAW_SECTOR, "b.bin": 200 * RAW_SECTOR, "c.bin": 50 * RAW_SECTOR}
    toc = compute_toc(sheet, sizes)
    assert toc.offsets == (150, 250, 150 + 300 + 150) and toc.leadout == 150 + 350 + 150
    ranges = track_byte_ranges(sheet, sizes)
    assert ranges[0].ranges == (ByteRange(0, 0, 100 * RAW_SECTOR),)  # gap of track 2 appended to track 1
    assert ranges[1].ranges == (ByteRange(1, 0, 200 * RAW_SECTOR),)
    assert ranges[2].ranges == (ByteRange(2, 0, 50 * RAW_SECTOR),)


def test_single_file_byte_ranges(shared_fixtures: Path) -> None:
    sheet = parse_sheet((_whipper(shared_fixtures) / "kings-single.cue").read_bytes())
    size = 200_000 * RAW_SECTOR
    ranges = track_byte_ranges(sheet, {"dummy.wav": size})
    assert ranges[0].ranges[0].start == 0 and ranges[-1].ranges[-1].end == size
    for a, b in itertools.pairwise(ranges):
        assert a.ranges[-1].end == b.ranges[0].start
    assert ranges[1].ranges[0].start == msf_to_frames("03:57:36") * RAW_SECTOR


def test_missing_size_is_an_error() -> None:
    with pytest.raises(CueError):
        compute_toc(parse_cue('FILE "x.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n'))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "TRACK 01 AUDIO\n",
        'FILE "a" BINARY\nTRACK 01 AUDIO\nINDEX 01 99:99:99\n',
        'FILE "a" BINARY\nTRACK 02 AUDIO\nTRACK 01 AUDIO\n',
        "HELLO WORLD\n",
    ],
)
def test_malformed_cue_raises(text: str) -> None:
    with pytest.raises(CueError):
        parse_cue(text)


def _exercise(data: bytes) -> None:
    """Everything a caller might do with a sheet; only `FormatError` may come out."""
    try:
        sheet = parse_sheet(data)
    except FormatError:
        return
    sizes = {f.name: 1000 * RAW_SECTOR for f in sheet.files}
    for call in (
        lambda: compute_toc(sheet, sizes),
        lambda: track_byte_ranges(sheet, sizes),
        lambda: freedb_disc_id(compute_toc(sheet, sizes)),
    ):
        try:
            call()
        except FormatError:
            pass


_FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(data=st.data())
def test_fuzz_mutated_real_sheets(shared_fixtures: Path, data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(_sheet_bytes(shared_fixtures)))
    cut = data.draw(st.integers(0, len(original)))
    mutated = bytearray(original[:cut])
    for _ in range(data.draw(st.integers(0, 8))):
        if mutated:
            pos = data.draw(st.integers(0, len(mutated) - 1))
            mutated[pos] ^= 1 << data.draw(st.integers(0, 7))
    _exercise(bytes(mutated))


@_FUZZ
@given(blob=st.binary(max_size=2000))
def test_fuzz_random_bytes(blob: bytes) -> None:
    _exercise(blob)


@_FUZZ
@given(
    lines=st.lists(
        st.sampled_from(
            [
                'FILE "a.bin" BINARY',
                "TRACK 01 AUDIO",
                "TRACK 02 MODE1/2352",
                "INDEX 01 00:00:00",
                "INDEX 00 00:01:00",
                "INDEX 01 00:02:00",
                "PREGAP 00:02:00",
                "POSTGAP 00:00:10",
                'TITLE "x"',
                "ISRC X",
                "FLAGS DCP",
                "REM A B",
                "CD_DA",
                "SILENCE 00:01:00",
                "START 00:00:10",
                'FILE "d.wav" 0 01:00:00',
                "TRACK AUDIO",
                "CD_TEXT {",
                "}",
            ]
        ),
        max_size=30,
    )
)
def test_fuzz_sheet_grammar(lines: list[str]) -> None:
    _exercise("\n".join(lines).encode())
