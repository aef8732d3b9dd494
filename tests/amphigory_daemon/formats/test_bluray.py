"""Blu-ray readers (index.bdmv, MPLS, CLPI): three real BDMV trees against EXPECTED_parsed.txt and PROVENANCE.md,
clear errors, and fuzzing."""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amphigory_daemon.formats.bluray import BlurayError
from amphigory_daemon.formats.bluray_clpi import BlurayClip, parse_clpi
from amphigory_daemon.formats.bluray_index import parse_index
from amphigory_daemon.formats.bluray_mpls import BlurayPlaylist, parse_mpls, playlist_number
from amphigory_daemon.formats.errors import FormatError

DISCS = ("bdpl_disc1", "bdpl_disc17", "bdpl_disc5")
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_HEAD = re.compile(r"== (\S+) index.bdmv b'INDX(\d{4})' MovieObject b'MOBJ\d{4}' clpi versions \[(.*)\] n_clpi (\d+)")
_PLAYLIST = re.compile(
    r" (\d{5})\.mpls (\d{4}) dur=([\d.]+)s items=(\d+) clips=(\S+) chapters=(\d+) angles=(\d+)"
    r" streams\(item0\)=(.*)"
)
# The cross-check reader took the PID of a type-2 stream entry (a sub-path's stream: sub-path id, sub-clip id,
# PID) one byte early, printing 0x14 for the menu's IG stream; libbluray and the menu clip's own CLPI say 0x1400.
_PID_READ_EARLY = {0x14: 0x1400}

Tree = tuple[bytes, dict[str, bytes], dict[str, bytes]]  # index.bdmv, playlists and clips by file stem


def _tree(shared_fixtures: Path, disc: str) -> Tree:
    root = shared_fixtures / "bluray" / disc
    playlists = {p.stem: p.read_bytes() for p in sorted((root / "PLAYLIST").glob("*.mpls"))}
    clips = {p.stem: p.read_bytes() for p in sorted((root / "CLIPINF").glob("*.clpi"))}
    return (root / "index.bdmv").read_bytes(), playlists, clips


def _expected(shared_fixtures: Path) -> dict[str, tuple[re.Match[str], list[re.Match[str]]]]:
    discs: dict[str, tuple[re.Match[str], list[re.Match[str]]]] = {}
    for line in (shared_fixtures / "bluray" / "EXPECTED_parsed.txt").read_text().splitlines():
        if head := _HEAD.fullmatch(line):
            rows: list[re.Match[str]] = []
            discs[head[1]] = (head, rows)
        elif row := _PLAYLIST.fullmatch(line):
            rows.append(row)
        else:
            raise AssertionError(f"unrecognised EXPECTED line: {line!r}")
    return discs


@pytest.fixture(scope="module")
def disc1(shared_fixtures: Path) -> Tree:
    return _tree(shared_fixtures, "bdpl_disc1")


@pytest.fixture(scope="module")
def disc5(shared_fixtures: Path) -> Tree:
    return _tree(shared_fixtures, "bdpl_disc5")


@pytest.fixture(scope="module")
def disc17(shared_fixtures: Path) -> Tree:
    return _tree(shared_fixtures, "bdpl_disc17")


def _playlists(tree: Tree) -> dict[str, BlurayPlaylist]:
    return {stem: parse_mpls(data, playlist_number(stem + ".mpls")) for stem, data in tree[1].items()}


def _clips(tree: Tree) -> dict[str, BlurayClip]:
    return {stem: parse_clpi(data) for stem, data in tree[2].items()}


@pytest.mark.parametrize("disc", DISCS)
def test_every_expected_value(shared_fixtures: Path, disc: str) -> None:
    head, rows = _expected(shared_fixtures)[disc]
    tree = _tree(shared_fixtures, disc)
    assert parse_index(tree[0]).version == head[2]
    clips = _clips(tree)
    assert len(clips) == int(head[4])
    assert sorted({clip.version for clip in clips.values()}) == re.findall(r"'(\d{4})'", head[3])
    playlists = _playlists(tree)
    assert sorted(playlists) == [row[1] for row in rows]
    for row in rows:
        playlist = playlists[row[1]]
        assert playlist.number == int(row[1])
        assert playlist.version == row[2]
        assert f"{playlist.duration:.3f}" == row[3]
        assert len(playlist.play_items) == int(row[4])
        shown = row[5].removesuffix("...").split(",")
        assert list(playlist.clip_ids[: len(shown)]) == shown
        assert row[5].endswith("...") == (len(playlist.clip_ids) > len(shown))
        assert len(playlist.chapters) == int(row[6])
        assert playlist.angles == int(row[7])
        expected = []
        for token in row[8].split():
            kind, pid, codec = token.split(":")
            name, _, language = codec.partition("/")
            expected.append((kind, _PID_READ_EARLY.get(int(pid, 16), int(pid, 16)), name, language))
        assert [(s.kind, s.pid, s.codec, s.language) for s in playlist.streams] == expected
        assert playlist.is_uhd == (row[2] == "0300")


def test_disc1_provenance_values(disc1: Tree) -> None:
    """What bdpl's own tests state for disc 1."""
    playlists = _playlists(disc1)
    assert len(playlists) == 11 and len(disc1[2]) == 19
    play_all = playlists["00002"]
    assert playlist_number("00002.mpls") == 2
    assert play_all.clip_ids == ("00007", "00008", "00009", "00010")
    assert abs(play_all.duration - 4866.5) <= 1
    assert {s.codec for s in play_all.play_items[0].streams} >= {"AVC", "LPCM"}
    assert any(mark.mark_type == 1 for mark in play_all.marks)
    assert {s.language for s in play_all.streams if s.kind == "pg"} >= {"jpn", "eng", "zho"}
    assert playlists["00003"].clip_ids == ("00011",)
    assert round(playlists["00003"].duration) == 66
    clip = parse_clpi(disc1[2]["00007"])
    assert [s.codec for s in clip.streams if s.kind == "video"] == ["AVC"]
    assert [(s.codec, s.language) for s in clip.streams if s.kind == "audio"] == [("LPCM", "jpn")]
    assert any(s.codec == "PGS" for s in clip.streams)
    index = parse_index(disc1[0])
    assert len(index.titles) > 0
    assert index.first_playback.mobj_id is not None and index.first_playback.mobj_id >= 0
    assert index.top_menu.mobj_id is not None and index.top_menu.mobj_id >= 0
    assert [t.number for t in index.titles] == list(range(1, len(index.titles) + 1))


def test_chapters_and_segments(disc1: Tree) -> None:
    play_all = _playlists(disc1)["00002"]
    starts = [mark.offset_ticks for mark in play_all.chapters]
    assert starts[0] == 0 and starts == sorted(starts) and starts[-1] < play_all.duration_ticks
    episode_one = play_all.play_items[0].duration_ticks
    assert episode_one in starts  # a chapter begins where the second episode's clip does
    segments = play_all.segment_map
    assert [s.clip_id for s in segments] == list(play_all.clip_ids)
    assert sum(s.out_time - s.in_time for s in segments) == play_all.duration_ticks


@pytest.mark.parametrize("disc", DISCS)
def test_play_items_lie_inside_their_clips(shared_fixtures: Path, disc: str) -> None:
    tree = _tree(shared_fixtures, disc)
    clips = _clips(tree)
    for playlist in _playlists(tree).values():
        for item in playlist.play_items:
            clip = clips[item.clip_id]
            assert clip.start_time <= item.in_time <= item.out_time <= clip.end_time
    assert all(clip.size_bytes == clip.source_packets * 192 > 0 for clip in clips.values())


def test_menu_stream_pid_matches_its_clip(disc1: Tree) -> None:
    """The IG stream a playlist takes from its sub-path (type-2 entry) is the menu clip's PID 0x1400."""
    menu_pids = {s.pid for s in parse_clpi(disc1[2]["00003"]).streams if s.codec == "IGS"}
    assert menu_pids == {0x1400}
    assert [s.pid for s in _playlists(disc1)["00003"].streams if s.kind == "ig"] == [0x1400]


def test_uhd_disc(disc5: Tree) -> None:
    index = parse_index(disc5[0])
    assert index.is_uhd and index.version == "0300" and len(index.titles) == 12
    main = _playlists(disc5)["00001"]
    assert main.is_uhd and main.clip_ids == ("00002", "00005")
    video = main.streams[0]
    assert (video.codec, video.resolution) == ("HEVC", "2160p")
    assert {c.version for c in _clips(disc5).values()} == {"0300"}


def test_gallery_playlist(disc17: Tree) -> None:
    gallery = _playlists(disc17)["00003"]
    assert len(gallery.play_items) == 44 and len(gallery.chapters) == 44
    assert not parse_index(disc17[0]).is_uhd


def test_wrong_headers_are_clear_errors(disc1: Tree) -> None:
    mpls = disc1[1]["00002"]
    with pytest.raises(BlurayError, match="not a MPLS file"):
        parse_mpls(b"MPLX" + mpls[4:])
    with pytest.raises(BlurayError, match="version '0400'"):
        parse_mpls(b"MPLS0400" + mpls[8:])
    with pytest.raises(BlurayError, match="not a HDMV file"):
        parse_clpi(mpls)
    with pytest.raises(BlurayError, match="not a INDX file"):
        parse_index(disc1[2]["00007"])
    with pytest.raises(BlurayError, match="does not start with a number"):
        playlist_number("menu.mpls")
    assert playlist_number("BDMV/PLAYLIST/00800.mpls") == 800
    assert issubclass(BlurayError, FormatError)


def test_truncated_files_are_clear_errors(disc1: Tree) -> None:
    with pytest.raises(BlurayError, match="past the end"):
        parse_mpls(disc1[1]["00002"][:300])
    with pytest.raises(BlurayError, match="past the end"):
        parse_clpi(disc1[2]["00007"][:100])
    with pytest.raises(BlurayError, match="past the end"):
        parse_index(disc1[0][:150])
    with pytest.raises(BlurayError):
        parse_mpls(b"MPLS02")



_PARSERS: dict[str, Callable[[bytes], object]] = {"mpls": parse_mpls, "clpi": parse_clpi, "index": parse_index}


def _samples(shared_fixtures: Path) -> list[tuple[str, bytes]]:
    bd_files = []
    for disc in DISCS:
        index, playlists, clips = _tree(shared_fixtures, disc)
        bd_files.append(("index", index))
        bd_files += [("mpls", data) for data in playlists.values()]
        bd_files += [("clpi", data) for data in clips.values() if len(data) < 20_000]
    return bd_files


@pytest.fixture(scope="module")
def bd_files(shared_fixtures: Path) -> list[tuple[str, bytes]]:
    return _samples(shared_fixtures)


def _survives(kind: str, data: bytes) -> None:
    """Parse, allowing only BlurayError, and quickly (a hang shows as a slow call)."""
    start = time.perf_counter()
    try:
        _PARSERS[kind](data)
    except BlurayError:
        pass
    finally:
        assert time.perf_counter() - start < 10.0  # a hang, not slowness


@FUZZ
@given(which=st.integers(0, 1 << 16), cut=st.integers(0, 1 << 17))
def test_fuzz_truncated(bd_files: list[tuple[str, bytes]], which: int, cut: int) -> None:
    kind, data = bd_files[which % len(bd_files)]
    _survives(kind, data[: cut % (len(data) + 1)])


@FUZZ
@given(
    which=st.integers(0, 1 << 16),
    flips=st.lists(st.tuples(st.integers(0, 1 << 17), st.integers(0, 7)), min_size=1, max_size=8),
)
def test_fuzz_bit_flips(bd_files: list[tuple[str, bytes]], which: int, flips: list[tuple[int, int]]) -> None:
    kind, original = bd_files[which % len(bd_files)]
    data = bytearray(original)
    for at, bit in flips:
        data[at % len(data)] ^= 1 << bit
    _survives(kind, bytes(data))


@FUZZ
@given(
    which=st.integers(0, 1 << 16),
    at=st.integers(0, 1 << 17),
    value=st.one_of(st.sampled_from([0, 1, 0xFF, 0xFFFF, 0xFFFFFFFF]), st.integers(0, 0xFFFFFFFF)),
)
def test_fuzz_overwritten_fields(bd_files: list[tuple[str, bytes]], which: int, at: int, value: int) -> None:
    kind, original = bd_files[which % len(bd_files)]
    data = bytearray(original)
    pos = at % (len(data) - 4)
    data[pos : pos + 4] = struct.pack(">I", value)
    _survives(kind, bytes(data))


@FUZZ
@given(
    body=st.binary(max_size=2000),
    head=st.sampled_from([("mpls", b"MPLS0200"), ("clpi", b"HDMV0300"), ("index", b"INDX0200"), ("mpls", b"")]),
)
def test_fuzz_random_bytes(body: bytes, head: tuple[str, bytes]) -> None:
    _survives(head[0], head[1] + body)
