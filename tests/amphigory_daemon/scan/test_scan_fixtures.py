"""The native scan of real discs' navigation files gives what the fixtures' EXPECTED files state.

../shared/fixtures/dvd_ifo holds the IFO sets of two commercial DVDs (Idiocracy, Les Shadoks) and
../shared/fixtures/bluray three metadata-only BDMV trees (bdpl's disc1, disc5 (UHD), disc17). Their
``EXPECTED_parsed.txt`` (an independent reader's output, agreeing with every value the source repos' own tests
state) is read here line by line and compared with the `ScanResult` of `scan_path`: title counts, durations,
chapters, title-set / playlist structure, video, audio and subtitle streams. The classification must pick the
main titles PROVENANCE.md names: Idiocracy's VTS 5 title (21 chapters, 5,047,300 ms), Shadoks' title 8, and
disc5's ``00001.mpls``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult, Title

DVD_DISCS = ["DVD-Read_idiocracy", "DVD-Read_shadok1"]
BD_DISCS = ["bdpl_disc1", "bdpl_disc5", "bdpl_disc17"]
# EXPECTED_parsed.txt names codecs as the Blu-ray spec does; the scan result uses short lower-case names.
BD_CODECS = {"AVC": "h264", "HEVC": "hevc", "LPCM": "lpcm", "AC3": "ac3", "TrueHD": "truehd", "PGS": "pgs"}
_DVD_LINE = re.compile(
    r"title\s+(\d+): vts=(\d+) ttn=(\d+) chapters=(\d+) angles=(\d+) pgc=(\d+) len=\S+ \((\d+) ms\) "
    r"video=(NTSC|PAL) (\S+) audio=(\[.*?\]) subs=(\[.*?\])$"
)
_BD_LINE = re.compile(
    r"(\d{5}\.mpls) (\d{4}) dur=([\d.]+)s items=(\d+) clips=(\S+) chapters=(\d+) angles=(\d+) streams\(item0\)=(.*)$"
)


def _sections(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("== "):
            current = sections.setdefault(line.split()[1], [])
        elif line.strip():
            current.append(line.strip())
    return sections


def _expected_dvd(root: Path, disc: str) -> list[dict[str, Any]]:
    titles = []
    for line in _sections(root / "dvd_ifo" / "EXPECTED_parsed.txt")[disc]:
        match = _DVD_LINE.search(line)
        assert match is not None, f"unreadable EXPECTED line: {line}"
        g = match.groups()
        titles.append(
            {
                "number": int(g[0]),
                "vts": int(g[1]),
                "ttn": int(g[2]),
                "chapters": int(g[3]),
                "angles": int(g[4]),
                "pgc": int(g[5]),
                "ms": int(g[6]),
                "standard": g[7],
                "aspect": g[8],
                "audio": ast.literal_eval(g[9]),
                "subs": ast.literal_eval(g[10]),
            }
        )
    return titles


def _expected_bd(root: Path, disc: str) -> list[dict[str, Any]]:
    playlists = []
    for line in _sections(root / "bluray" / "EXPECTED_parsed.txt")[disc]:
        match = _BD_LINE.search(line)
        assert match is not None, f"unreadable EXPECTED line: {line}"
        name, version, seconds, items, clips, chapters, angles, streams = match.groups()
        kinds: dict[str, list[tuple[str, str]]] = {}
        for token in streams.split():
            kind, _pid, coding = token.split(":", 2)
            codec, _, language = coding.partition("/")
            kinds.setdefault(kind, []).append((codec, language))
        playlists.append(
            {
                "playlist": name,
                "version": version,
                "seconds": float(seconds),
                "items": int(items),
                "clips": clips.removesuffix("...").split(","),
                "truncated": clips.endswith("..."),
                "chapters": int(chapters),
                "angles": int(angles),
                "streams": kinds,
            }
        )
    return playlists


def _scan(root: Path, kind: str, disc: str) -> ScanResult:
    return scan_path(root / kind / disc)


def _stable(result: ScanResult) -> dict[str, Any]:
    return result.model_dump(exclude={"scan_ms"})


@pytest.mark.parametrize("disc", DVD_DISCS)
def test_dvd_ifo_sets_give_the_expected_titles(shared_fixtures: Path, disc: str) -> None:
    expected = _expected_dvd(shared_fixtures, disc)
    result = _scan(shared_fixtures, "dvd_ifo", disc)
    assert result.disc_type == "dvd" and result.backend == "native"
    assert len(result.titles) == len(expected)
    for title, want in zip(result.titles, expected, strict=True):
        where = f"{disc} title {want['number']}"
        assert title.number == want["number"], where
        assert title.duration_seconds == pytest.approx(want["ms"] / 1000, abs=0.001), where
        assert title.chapters == want["chapters"], where
        assert title.angles == want["angles"], where
        assert (title.source["vts"], title.source["ttn"], title.source["pgc"]) == (
            want["vts"],
            want["ttn"],
            want["pgc"],
        ), where
        assert title.video is not None, where
        assert (title.video.standard, title.video.aspect, title.video.codec) == (
            want["standard"],
            want["aspect"],
            "mpeg2",
        ), where
        assert [(a.codec, a.language, a.channels) for a in title.audio] == want["audio"], where
        assert [s.language for s in title.subtitles] == want["subs"], where
    assert _stable(_scan(shared_fixtures, "dvd_ifo", disc)) == _stable(result)


@pytest.mark.parametrize("disc", BD_DISCS)
def test_bluray_trees_give_the_expected_playlists(shared_fixtures: Path, disc: str) -> None:
    expected = _expected_bd(shared_fixtures, disc)
    result = _scan(shared_fixtures, "bluray", disc)
    uhd = {p["version"] for p in expected} == {"0300"}
    assert result.disc_type == ("uhd" if uhd else "bluray")
    ours = {t.source["playlist"]: t for t in result.titles}
    assert sorted(ours) == [p["playlist"] for p in expected]
    for want in expected:
        title: Title = ours[want["playlist"]]
        where = f"{disc} {want['playlist']}"
        assert title.duration_seconds == pytest.approx(want["seconds"], abs=0.0015), where
        assert title.chapters == want["chapters"], where
        assert title.angles == want["angles"], where
        clips = [c.removesuffix(".m2ts") for c in title.source["clips"]]
        assert len(clips) == want["items"], where
        if want["truncated"]:
            assert clips[: len(want["clips"])] == want["clips"], where
        else:
            assert clips == want["clips"], where
        streams = want["streams"]
        video = streams.get("video", [])
        assert title.video is not None and title.video.codec == BD_CODECS[video[0][0]], where
        assert [(a.codec, a.language) for a in title.audio] == [
            (BD_CODECS[c], lang) for c, lang in streams.get("audio", [])
        ], where
        assert [(s.codec, s.language) for s in title.subtitles] == [
            (BD_CODECS[c], lang) for c, lang in streams.get("pg", [])
        ], where
    assert _stable(_scan(shared_fixtures, "bluray", disc)) == _stable(result)


def _mains(result: ScanResult) -> list[Title]:
    return [t for t in result.titles if t.classification.type == "main_feature"]


def test_idiocracy_main_title(shared_fixtures: Path) -> None:
    mains = _mains(_scan(shared_fixtures, "dvd_ifo", "DVD-Read_idiocracy"))
    assert len(mains) == 1
    main = mains[0]
    assert (main.number, main.source["vts"], main.source["ttn"]) == (1, 5, 1)
    assert (main.chapters, round(main.duration_seconds * 1000)) == (21, 5_047_300)
    assert [a.language for a in main.audio] == ["en", "es"]
    assert [s.language for s in main.subtitles] == ["en", "es", "fr", "es"]


def test_shadoks_main_title(shared_fixtures: Path) -> None:
    result = _scan(shared_fixtures, "dvd_ifo", "DVD-Read_shadok1")
    assert [(t.number, t.source["vts"], t.chapters) for t in _mains(result)] == [(8, 8, 52)]
    # The other eight titles are each under nine seconds: none of them is offered as a feature.
    assert all(t.classification.type in ("other", "trailer") for t in result.titles if t.number != 8)


def test_uhd_disc5_main_and_extra(shared_fixtures: Path) -> None:
    result = _scan(shared_fixtures, "bluray", "bdpl_disc5")
    by_playlist = {t.source["playlist"]: t for t in result.titles}
    assert [t.source["playlist"] for t in _mains(result)] == ["00001.mpls"]
    assert by_playlist["01001.mpls"].classification.type == "extra"


@pytest.mark.parametrize(("disc", "feature"), [("bdpl_disc1", "00002.mpls"), ("bdpl_disc17", "00002.mpls")])
def test_series_bluray_long_playlist_is_the_one_offered(shared_fixtures: Path, disc: str, feature: str) -> None:
    """bdpl calls disc1's 00002.mpls a play-all of three episodes and disc17's the disc's one episode; with no
    per-episode playlists on either disc, that playlist must be the one feature-length title offered."""
    result = _scan(shared_fixtures, "bluray", disc)
    offered = [t for t in result.titles if t.classification.type in ("main_feature", "episode", "play_all")]
    assert [t.source["playlist"] for t in offered] == [feature]
