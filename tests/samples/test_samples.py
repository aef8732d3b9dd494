"""The committed sample discs are what samples/README.md says they are.

Checked with independent readers, not with Amphigory's own parsers: lsdvd
(libdvdread) for the DVD folder and ISO, bd_list_titles (libbluray) for the
Blu-ray folder, the ffmpeg of imageio-ffmpeg (its dvdvideo demuxer) for DVD
titles, and plain arithmetic for the CD image. The tools are installed wherever
the tests run; a missing one is a failure, not a skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DVD_LABEL = "AMPHIGORY_SAMPLE_DVD"
BD_LABEL = "AMPHIGORY_SAMPLE_BD"
CD_NAME = "AMPHIGORY_SAMPLE_CD"
SECTOR = 2352


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: the sample disc tests need it (see DESIGN.md, tools)")
    return path


def run(*cmd: str) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-1000:]}"
    return p.stdout


def lsdvd(path: Path) -> dict[int, dict[str, object]]:
    """lsdvd -x, parsed: title number -> vts, length, chapters, audio, subtitles."""
    out = run(tool("lsdvd"), "-x", str(path))
    titles: dict[int, dict[str, object]] = {}
    current: dict[str, object] = {}
    for line in out.splitlines():
        m = re.match(r"Title: (\d+), Length: (\d+):(\d+):([\d.]+) Chapters: (\d+)", line)
        if m:
            current = {
                "length": int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4]),
                "chapters": int(m[5]),
                "chapter_lengths": [],
                "audio": [],
                "subtitles": [],
            }
            titles[int(m[1])] = current
            continue
        if m := re.match(r"\s+VTS: (\d+), TTN: (\d+)", line):
            current["vts"], current["ttn"] = int(m[1]), int(m[2])
        elif m := re.match(r"\s+Audio: \d+, Language: (\w+) .*Format: (\w+),.*Channels: (\d+)", line):
            current["audio"].append((m[1], m[2], int(m[3])))  # type: ignore[attr-defined]
        elif m := re.match(r"\s+Chapter: \d+, Length: (\d+):(\d+):([\d.]+)", line):
            current["chapter_lengths"].append(  # type: ignore[attr-defined]
                int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
            )
        elif m := re.match(r"\s+Subtitle: \d+, Language: (\w+)", line):
            current["subtitles"].append(m[1])  # type: ignore[attr-defined]
    return titles


def check_dvd(titles: dict[int, dict[str, object]]) -> None:
    assert sorted(titles) == [1, 2, 3]
    main, trailer, featurette = titles[1], titles[2], titles[3]
    # VTS 1 holds two titles (its VOBs are not one title), VTS 2 the third alone
    assert (main["vts"], main["ttn"]) == (1, 1)
    assert (trailer["vts"], trailer["ttn"]) == (1, 2)
    assert (featurette["vts"], featurette["ttn"]) == (2, 1)
    assert main["length"] == pytest.approx(48.0, abs=0.1)
    assert main["chapters"] == 4
    assert main["chapter_lengths"] == [pytest.approx(12.0, abs=0.1)] * 4
    assert main["audio"] == [("en", "ac3", 2), ("fr", "ac3", 1)]
    assert main["subtitles"] == ["en"]
    assert trailer["length"] == pytest.approx(8.0, abs=0.1)
    assert trailer["chapters"] == 1
    assert [a[0] for a in trailer["audio"]] == ["en", "fr"]  # type: ignore[attr-defined]
    assert featurette["length"] == pytest.approx(10.0, abs=0.1)
    assert featurette["chapters"] == 2
    assert featurette["audio"] == [("en", "mpeg1", 2)]


def test_dvd_folder(samples: Path) -> None:
    folder = samples / "dvd" / DVD_LABEL
    assert (folder / "VIDEO_TS" / "VIDEO_TS.IFO").is_file()
    assert sorted(p.name for p in (folder / "VIDEO_TS").glob("VTS_*_1.VOB")) == ["VTS_01_1.VOB", "VTS_02_1.VOB"]
    check_dvd(lsdvd(folder))


def test_dvd_iso(samples: Path) -> None:
    iso = samples / "dvd" / f"{DVD_LABEL}.iso"
    assert iso.stat().st_size % 2048 == 0
    out = run(tool("lsdvd"), str(iso))
    assert f"Disc Title: {DVD_LABEL}" in out
    check_dvd(lsdvd(iso))


@pytest.mark.parametrize(("title", "seconds", "audio"), [(1, 48, 2), (2, 8, 2), (3, 10, 1)])
def test_dvd_iso_titles_read_by_ffmpeg(samples: Path, title: int, seconds: int, audio: int) -> None:
    import imageio_ffmpeg

    iso = samples / "dvd" / f"{DVD_LABEL}.iso"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-f", "dvdvideo", "-title", str(title)]
    p = subprocess.run([*cmd, "-i", str(iso)], capture_output=True, text=True, timeout=60)
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", p.stderr)
    assert m, p.stderr[-1000:]
    assert int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) == pytest.approx(seconds, abs=0.2)
    assert len(re.findall(r"Stream #0:\d+\[0x[0-9a-f]+\]\(\w+\): Audio", p.stderr)) == audio
    assert re.search(r"Video: mpeg2video.*352x240", p.stderr)
    if title == 1:
        assert re.search(r"\(eng\): Subtitle: dvd_subtitle", p.stderr)
        assert re.search(r"\(fre\): Audio: ac3", p.stderr)


def bd_titles(folder: Path, *extra: str) -> list[dict[str, object]]:
    """bd_list_titles -l, parsed: [{playlist, seconds, chapters, audio, pg}]."""
    out = run(tool("bd_list_titles"), *extra, "-l", str(folder))
    titles: list[dict[str, object]] = []
    for line in out.splitlines():
        m = re.match(r"index:\s+\d+ duration: (\d+):(\d+):(\d+) chapters:\s+(\d+).*\(playlist: (\d+\.mpls)\)", line)
        if m:
            titles.append(
                {
                    "seconds": int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]),
                    "chapters": int(m[4]),
                    "playlist": m[5],
                    "audio": [],
                    "pg": [],
                }
            )
        elif line.strip().startswith("AUD:"):
            titles[-1]["audio"] = line.split(":", 1)[1].split()
        elif line.strip().startswith("PG :"):
            titles[-1]["pg"] = line.split(":", 1)[1].split()
    return titles


def test_bluray_folder(samples: Path) -> None:
    folder = samples / "bluray" / BD_LABEL
    assert (folder / "BDMV" / "index.bdmv").is_file()
    # -a: every playlist, the duplicate too; -s 0: the short extras as well
    titles = {str(t["playlist"]): t for t in bd_titles(folder, "-a", "-s", "0")}
    assert sorted(titles) == ["00001.mpls", "00002.mpls", "00003.mpls", "00004.mpls"]
    main, extra1, extra2, duplicate = (titles[f"0000{n}.mpls"] for n in range(1, 5))
    assert main == {**duplicate, "playlist": "00001.mpls"}
    assert main["seconds"] == 48 and main["chapters"] == 4
    assert main["audio"] == ["eng", "fre"] and main["pg"] == ["eng"]
    assert (extra1["seconds"], extra1["chapters"], extra1["audio"]) == (15, 2, ["eng"])
    assert (extra2["seconds"], extra2["chapters"], extra2["audio"]) == (10, 1, ["eng"])
    # without -a, libbluray drops the duplicate: three titles remain
    assert len(bd_titles(folder, "-s", "0")) == 3
    # the duplicate shares the main feature's clip and segment map
    mpls = folder / "BDMV" / "PLAYLIST"
    assert (mpls / "00001.mpls").read_bytes() == (mpls / "00004.mpls").read_bytes()


def test_cd_image(samples: Path) -> None:
    cue_path = samples / "cd" / f"{CD_NAME}.cue"
    cue = cue_path.read_text()
    m = re.search(r'^FILE "([^"]+)" BINARY', cue, re.M)
    assert m
    size = (cue_path.parent / m[1]).stat().st_size
    assert size % SECTOR == 0
    assert size < 2_000_000
    tracks = re.findall(r"^\s*TRACK (\d\d) AUDIO", cue, re.M)
    assert tracks == ["01", "02", "03"]
    assert re.search(r'^PERFORMER "Amphigory Test Ensemble"', cue, re.M)
    assert re.search(r'^TITLE "Amphigory Sample CD"', cue, re.M)
    assert len(re.findall(r'^\s+TITLE "', cue, re.M)) == 3
    assert len(re.findall(r'^\s+PERFORMER "', cue, re.M)) == 3
    # every INDEX lies inside the image, in order
    frames = [
        int(mm) * 60 * 75 + int(ss) * 75 + int(ff) for mm, ss, ff in re.findall(r"INDEX \d\d (\d+):(\d+):(\d+)", cue)
    ]
    assert frames == sorted(frames) and frames[-1] < size // SECTOR
    assert re.search(r"^REM DISCID 0c000603", cue, re.M)
