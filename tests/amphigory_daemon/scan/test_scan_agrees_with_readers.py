"""The native scan of the sample discs agrees with independent readers: lsdvd (libdvdread) and bd_list_titles
(libbluray).

These run the real tools (Debian ``lsdvd`` and ``libbluray-bin``, which CI installs); a missing tool fails the
test with what to install, it is never skipped. lsdvd's ``-Oy`` output is a Python literal, read with
`ast.literal_eval`; bd_list_titles prints one line per playlist plus language lines, read with a regex.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import ScanResult, Title

DVD_ISO = Path("dvd") / "AMPHIGORY_SAMPLE_DVD.iso"
DVD_FOLDER = Path("dvd") / "AMPHIGORY_SAMPLE_DVD"
BD_FOLDER = Path("bluray") / "AMPHIGORY_SAMPLE_BD"
_SEGMENT = re.compile(r"(\d+)/(\d+)\.(\d+):(\d+)-(\d+)")
_BD_TITLE = re.compile(
    r"index:\s*(\d+) duration: (\d+):(\d\d):(\d\d) chapters:\s*(\d+) angles:\s*(\d+) clips:\s*(\d+) "
    r"\(playlist: (\d{5})\.mpls\) V:(\d+) A:(\d+)\s+PG:(\d+)"
)


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: these tests compare against it (Debian package {package})")
    return path


def _disc(samples: Path, rel: Path) -> Path:
    path = samples / rel
    if not path.exists():
        pytest.fail(f"sample disc missing: {path} (make it with scripts/make_samples.py)")
    return path


def _lsdvd(path: Path) -> dict[str, Any]:
    run = subprocess.run(
        [_tool("lsdvd", "lsdvd"), "-x", "-Oy", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    _, _, literal = run.stdout.partition("=")
    parsed: dict[str, Any] = ast.literal_eval(literal.strip())
    return parsed


def _sectors(title: Title) -> list[tuple[int, int]]:
    ranges = []
    for segment in title.segment_map:
        match = _SEGMENT.fullmatch(segment)
        assert match is not None, f"unexpected DVD segment {segment!r}"
        ranges.append((int(match.group(4)), int(match.group(5))))
    return ranges


def _check_dvd(result: ScanResult, lsdvd: dict[str, Any]) -> None:
    tracks = lsdvd["track"]
    assert result.disc_type == "dvd"
    assert [t.number for t in result.titles] == [t["ix"] for t in tracks]
    for title, track in zip(result.titles, tracks, strict=True):
        where = f"title {title.number}"
        assert abs(title.duration_seconds - track["length"]) <= 0.001 * track["length"], where
        assert title.chapters == len(track["chapter"]), where
        assert (title.source["vts"], title.source["ttn"]) == (track["vts"], track["ttn"]), where
        assert [a.language for a in title.audio] == [a["langcode"] for a in track["audio"]], where
        assert [a.channels for a in title.audio] == [a["channels"] for a in track["audio"]], where
        assert title.angles == track["angles"], where
        assert title.video is not None, where
        assert (title.video.width, title.video.height, title.video.standard) == (
            track["width"],
            track["height"],
            track["format"],
        ), where
        assert _sectors(title) == [(c["first_sector"], c["last_sector"]) for c in track["cell"]], where


@pytest.mark.parametrize("rel", [DVD_ISO, DVD_FOLDER], ids=["iso", "folder"])
def test_dvd_subtitle_languages_agree_with_lsdvd(samples: Path, rel: Path) -> None:
    path = _disc(samples, rel)
    result = scan_path(path)
    tracks = _lsdvd(path)["track"]
    assert [[s.language for s in t.subtitles] for t in result.titles] == [
        [s["langcode"] for s in track.get("subp", [])] for track in tracks
    ]


def test_dvd_iso_agrees_with_lsdvd(samples: Path) -> None:
    iso = _disc(samples, DVD_ISO)
    result = scan_path(iso)
    listed = _lsdvd(iso)
    _check_dvd(result, listed)
    assert result.volume_name == listed["title"] == "AMPHIGORY_SAMPLE_DVD"


def test_dvd_folder_agrees_with_lsdvd(samples: Path) -> None:
    folder = _disc(samples, DVD_FOLDER)
    result = scan_path(folder)
    _check_dvd(result, _lsdvd(folder))
    # The folder and its ISO are the same disc: same fingerprint, same titles.
    iso_result = scan_path(_disc(samples, DVD_ISO))
    assert result.fingerprint == iso_result.fingerprint
    assert [t.model_dump() for t in result.titles] == [t.model_dump() for t in iso_result.titles]


def _bd_list_titles(folder: Path, *, every: bool) -> list[dict[str, Any]]:
    args = [_tool("bd_list_titles", "libbluray-bin"), "-l", "-s", "0"] + (["-a"] if every else []) + [str(folder)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    titles: list[dict[str, Any]] = []
    for line in run.stdout.splitlines():
        match = _BD_TITLE.search(line)
        if match is not None:
            n = [int(x) for x in match.groups()]
            titles.append(
                {
                    "playlist": f"{match.group(8)}.mpls",
                    "seconds": n[1] * 3600 + n[2] * 60 + n[3],
                    "chapters": n[4],
                    "angles": n[5],
                    "clips": n[6],
                    "audio_count": n[9],
                    "pg_count": n[10],
                    "audio": [],
                    "pg": [],
                }
            )
        elif line.strip().startswith("AUD:") and titles:
            titles[-1]["audio"] = line.split(":", 1)[1].split()
        elif line.strip().startswith("PG :") and titles:
            titles[-1]["pg"] = line.split(":", 1)[1].split()
    assert titles, f"bd_list_titles listed nothing:\n{run.stdout}\n{run.stderr}"
    return titles


def test_bluray_agrees_with_bd_list_titles(samples: Path) -> None:
    folder = _disc(samples, BD_FOLDER)
    result = scan_path(folder)
    assert result.disc_type == "bluray"
    listed = {t["playlist"]: t for t in _bd_list_titles(folder, every=True)}
    ours = {t.source["playlist"]: t for t in result.titles}
    assert sorted(ours) == sorted(listed)
    for name, title in ours.items():
        bd = listed[name]
        # libbluray prints whole seconds (truncated): the native duration must fall inside that second.
        assert bd["seconds"] <= title.duration_seconds < bd["seconds"] + 1, name
        assert title.chapters == bd["chapters"], name
        assert title.angles == bd["angles"], name
        assert len(title.source["clips"]) == bd["clips"], name
        assert [a.language for a in title.audio] == bd["audio"], name
        assert len(title.audio) == bd["audio_count"], name
        assert [s.language for s in title.subtitles] == bd["pg"], name
        assert len(title.subtitles) == bd["pg_count"], name


def test_bluray_duplicates_match_what_libbluray_filters(samples: Path) -> None:
    """libbluray's default listing drops playlists that repeat another's clips; the native scan marks the same
    playlists as duplicates (it may keep the other one of an identical pair)."""
    folder = _disc(samples, BD_FOLDER)
    result = scan_path(folder)
    clips = {t.source["playlist"]: tuple(t.source["clips"]) for t in result.titles}
    kept_by_libbluray = {clips[t["playlist"]] for t in _bd_list_titles(folder, every=False)}
    kept_natively = [clips[t.source["playlist"]] for t in result.titles if t.classification.type != "duplicate"]
    assert sorted(kept_natively) == sorted(kept_by_libbluray)
    duplicates = [t for t in result.titles if t.classification.type == "duplicate"]
    assert len(duplicates) == len(result.titles) - len(kept_by_libbluray)
