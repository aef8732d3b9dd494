"""Native rips of the sample discs with the real ffmpeg: streams, languages, chapters, durations, exact PCM."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import blake3
import pytest
from rip_helpers import FFMPEG, JobFactory, leftovers

from amphigory_daemon.rip import RipError, RipProgress, rip_title
from amphigory_daemon.rip.verify import duration_matches


def mkvmerge_j(path: Path) -> dict[str, Any]:
    if shutil.which("mkvmerge") is None:
        pytest.fail("mkvmerge is not installed (Debian mkvtoolnix; ./dev test installs it)")
    out = subprocess.run(["mkvmerge", "-J", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out))


def tracks(info: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["type"], t["properties"].get("language", "und")) for t in info["tracks"]]


@pytest.mark.parametrize("image", ["iso", "folder"])
async def test_dvd_title_1_keeps_every_stream_language_and_chapter(
    make_job: JobFactory, samples: Path, image: str
) -> None:
    source = samples / "dvd" / ("AMPHIGORY_SAMPLE_DVD.iso" if image == "iso" else "AMPHIGORY_SAMPLE_DVD")
    job = make_job("dvd", 1, source)
    reports: list[RipProgress] = []
    outcome = await rip_title(job, reports.append)

    assert outcome.path == job.output_root / "Sample dvd" / "Title 1.mkv"
    info = mkvmerge_j(outcome.path)
    assert tracks(info) == [("video", "und"), ("audio", "eng"), ("audio", "fre"), ("subtitles", "eng")]
    assert info["chapters"][0]["num_entries"] == job.title.chapters == 4
    assert duration_matches(job.title.duration_seconds, info["container"]["properties"]["duration"] / 1e9)
    assert duration_matches(job.title.duration_seconds, outcome.duration_seconds)
    assert outcome.size_bytes == outcome.path.stat().st_size
    assert reports[-1].percent == 100.0 and reports[-1].bytes_written > 0
    assert leftovers(job.output_root) == [outcome.path]


async def test_dvd_second_title_of_a_shared_vts_is_only_that_title(make_job: JobFactory, dvd_iso: Path) -> None:
    job = make_job("dvd", 2, dvd_iso)
    assert job.title.source["vts"] == 1 and job.title.source["ttn"] == 2  # title 1 lives in the same VTS

    outcome = await rip_title(job)

    info = mkvmerge_j(outcome.path)
    assert [t for t in tracks(info) if t[0] == "audio"] == [("audio", "eng"), ("audio", "fre")]
    duration = info["container"]["properties"]["duration"] / 1e9
    assert duration_matches(job.title.duration_seconds, duration)  # 8 s, not the VTS's 56 s


async def test_bluray_playlist_remuxes_its_clips_with_playlist_languages(
    make_job: JobFactory, samples: Path
) -> None:
    job = make_job("bluray", 1, samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    outcome = await rip_title(job)

    info = mkvmerge_j(outcome.path)
    assert tracks(info) == [("video", "und"), ("audio", "eng"), ("audio", "fre"), ("subtitles", "eng")]
    assert info["chapters"][0]["num_entries"] == job.title.chapters
    assert duration_matches(job.title.duration_seconds, info["container"]["properties"]["duration"] / 1e9)


async def test_short_bluray_playlist_is_ripped_too(make_job: JobFactory, samples: Path) -> None:
    job = make_job("bluray", 3, samples / "bluray" / "AMPHIGORY_SAMPLE_BD")
    assert job.title.duration_seconds < 180  # what ffmpeg's bluray: protocol would skip
    outcome = await rip_title(job)
    assert duration_matches(job.title.duration_seconds, outcome.duration_seconds)


def decode_pcm(path: Path) -> bytes:
    command = [FFMPEG, "-v", "error", "-i", str(path), "-f", "s16le", "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def flac_tags(path: Path) -> dict[str, str]:
    """The Vorbis comments of a FLAC file, read straight from its metadata blocks."""
    data = path.read_bytes()
    pos, last = 4, False
    while not last:
        last, kind = bool(data[pos] & 0x80), data[pos] & 0x7F
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        block = data[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if kind == 4:
            at = 4 + int.from_bytes(block[:4], "little")
            count = int.from_bytes(block[at : at + 4], "little")
            at += 4
            tags: dict[str, str] = {}
            for _ in range(count):
                length = int.from_bytes(block[at : at + 4], "little")
                key, _, value = block[at + 4 : at + 4 + length].decode().partition("=")
                tags[key.upper()] = value
                at += 4 + length
            return tags
    return {}


@pytest.mark.parametrize("number", [1, 2, 3])
async def test_cd_track_is_the_exact_pcm_of_its_bin_range(make_job: JobFactory, samples: Path, number: int) -> None:
    cue = samples / "cd" / "AMPHIGORY_SAMPLE_CD.cue"
    job = make_job("cd", number, cue, disc_title="Amphigory Sample CD", output_name=f"{number:02d} Tone")
    (span,) = job.title.source["ranges"]
    expected = (cue.parent / span["file"]).read_bytes()[span["start"] : span["end"]]

    outcome = await rip_title(job)

    assert outcome.path.suffix == ".flac"
    assert decode_pcm(outcome.path) == expected
    assert outcome.duration_seconds == len(expected) / 176_400
    tags = flac_tags(outcome.path)
    assert tags["ALBUM"] == "Amphigory Sample CD"
    assert tags["TRACKNUMBER"] == str(number)
    assert tags["ARTIST"] == ("Second Soloist" if number == 2 else "Amphigory Test Ensemble")
    assert tags["TITLE"].startswith("Tone ")
    assert len(tags["MUSICBRAINZ_DISCID"]) == 28


async def test_existing_file_is_never_overwritten(make_job: JobFactory, dvd_iso: Path) -> None:
    job = make_job("dvd", 3, dvd_iso)
    final = job.output_root / "Sample dvd" / "Title 3.mkv"
    final.parent.mkdir(parents=True)
    final.write_bytes(b"keep me")

    with pytest.raises(RipError) as info:
        await rip_title(job)

    assert info.value.code == "exists"
    assert final.read_bytes() == b"keep me"
    assert leftovers(job.output_root) == [final]


async def test_rename_policy_picks_the_next_free_name(make_job: JobFactory, dvd_iso: Path) -> None:
    job = make_job("dvd", 3, dvd_iso, on_exists="rename")
    first = await rip_title(job)
    second = await rip_title(job)
    assert first.path.name == "Title 3.mkv" and second.path.name == "Title 3 (2).mkv"
    assert first.checksum == second.checksum  # reproducible
    assert second.checksum.hexdigest == blake3.blake3(second.path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["../../etc", "/abs/olute", "CON", "..", "x" * 1000, "a/../../b", "\x00\n"])
async def test_hostile_names_stay_inside_the_output_root(make_job: JobFactory, dvd_iso: Path, name: str) -> None:
    job = make_job("dvd", 3, dvd_iso, disc_title=name, output_name=name)
    outcome = await rip_title(job)
    root = job.output_root.resolve()
    assert outcome.path.resolve().is_relative_to(root)
    assert outcome.path.parent.parent == job.output_root
    assert len(outcome.path.name.encode()) < 255
    assert leftovers(job.output_root) == [outcome.path]


async def test_a_rerip_replaces_the_earlier_rip_only_once_finished(make_job: JobFactory, dvd_iso: Path) -> None:
    first = await rip_title(make_job("dvd", 3, dvd_iso))
    first.path.write_bytes(b"an earlier, damaged rip")
    job = make_job("dvd", 3, dvd_iso, on_exists="replace", replaces=first.path)

    outcome = await rip_title(job)

    assert outcome.path == first.path
    assert blake3.blake3(outcome.path.read_bytes()).hexdigest() == outcome.checksum.hexdigest
    assert outcome.checksum == first.checksum
    assert leftovers(job.output_root) == [outcome.path]


async def test_replace_never_touches_a_file_that_is_not_the_earlier_rip(make_job: JobFactory, dvd_iso: Path) -> None:
    job = make_job("dvd", 3, dvd_iso, on_exists="replace", replaces=Path("/elsewhere/Title 3.mkv"))
    final = job.output_root / "Sample dvd" / "Title 3.mkv"
    final.parent.mkdir(parents=True)
    final.write_bytes(b"another disc's rip")

    with pytest.raises(RipError) as info:
        await rip_title(job)

    assert info.value.code == "exists"
    assert final.read_bytes() == b"another disc's rip"
