"""Rips of discs unlike the samples: a CUE of WAVE files (their headers must not become audio), a Blu-ray
folder whose names a copying tool lower-cased, a seamless-branching playlist that plays only part of a clip,
and a playlist that plays nothing."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
from array import array
from pathlib import Path

import pytest
from rip_helpers import FFMPEG

from amphigory_daemon.formats.bluray_mpls import parse_mpls
from amphigory_daemon.rip import RipError, RipJob, rip_title
from amphigory_daemon.rip.plans import ffconcat_text
from amphigory_daemon.scan.native import scan_path
from amphigory_protocol.disc import Title


def _job(source: Path, title: Title, out: Path, disc_type: str) -> RipJob:
    return RipJob(source=source, disc_type=disc_type, title=title, fingerprint="test",  # type: ignore[arg-type]
                  output_root=out, disc_title="Variant", output_name=f"Title {title.number}")


def _tone(hz: float, samples: int) -> bytes:
    pcm = array("h")
    for i in range(samples):
        v = round(8000 * math.sin(2 * math.pi * hz * i / 44100))
        pcm.extend((v, v))
    return pcm.tobytes()  # (little-endian hosts: what a WAVE file holds)


def _wave(data: bytes, extra_chunk: bool) -> bytes:
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16)
    info = b"LIST" + struct.pack("<I", 26) + b"INFOISFT" + struct.pack("<I", 14) + b"Lavf60.16.100\0"
    body = b"WAVE" + fmt + (info if extra_chunk else b"") + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _decoded(flac: Path) -> bytes:
    return subprocess.run([FFMPEG, "-v", "error", "-i", str(flac), "-f", "s16le", "-"], check=True,
                          capture_output=True).stdout


async def test_cue_of_wave_files_rips_exactly_their_data_chunks(tmp_path: Path) -> None:
    # track 1: not a whole number of sectors, with a LIST chunk before its data; track 2: a plain WAVE
    pcm = [_tone(440, 44100 // 2 + 123), _tone(660, 44100 // 3)]
    (tmp_path / "01.wav").write_bytes(_wave(pcm[0], extra_chunk=True))
    (tmp_path / "02.wav").write_bytes(_wave(pcm[1], extra_chunk=False))
    cue = tmp_path / "waves.cue"
    cue.write_text("".join(f'FILE "{k:02d}.wav" WAVE\n  TRACK {k:02d} AUDIO\n    INDEX 01 00:00:00\n' for k in (1, 2)))
    scan = scan_path(cue)
    for title, data in zip(scan.titles, pcm, strict=True):
        outcome = await rip_title(_job(cue, title, tmp_path / "out", "cd"))
        assert _decoded(outcome.path) == data


def _lowercase_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.name != path.name.lower():
            path.rename(path.with_name(path.name.lower()))


@pytest.fixture
def bd_copy(samples: Path, tmp_path: Path) -> Path:
    disc = tmp_path / "VARIANT_BD"
    shutil.copytree(samples / "bluray" / "AMPHIGORY_SAMPLE_BD", disc)
    return disc


async def test_bluray_folder_with_lowercase_names_rips(bd_copy: Path, tmp_path: Path) -> None:
    _lowercase_tree(bd_copy)
    assert (bd_copy / "bdmv" / "playlist").is_dir()
    scan = scan_path(bd_copy)
    shortest = min(scan.titles, key=lambda t: t.duration_seconds)
    outcome = await rip_title(_job(bd_copy, shortest, tmp_path / "out", "bluray"))
    assert outcome.duration_seconds == pytest.approx(shortest.duration_seconds, abs=0.3)


def _set_play_item(mpls: Path, in_time: int | None = None, out_time: int | None = None, items: int | None = None
                   ) -> None:
    data = bytearray(mpls.read_bytes())
    playlist = struct.unpack(">I", data[8:12])[0]
    if items is not None:
        data[playlist + 6:playlist + 8] = struct.pack(">H", items)
    times = playlist + 10 + 2 + 5 + 4 + 2 + 1  # the first play item's IN_time, then OUT_time
    if in_time is not None:
        data[times:times + 4] = struct.pack(">I", in_time)
    if out_time is not None:
        data[times + 4:times + 8] = struct.pack(">I", out_time)
    mpls.write_bytes(bytes(data))


@pytest.mark.parametrize("as_image", [False, True])
async def test_play_item_playing_part_of_its_clip_rips_only_that_part(bd_copy: Path, tmp_path: Path,
                                                                      as_image: bool) -> None:
    # the main feature's playlist, made to start at its last chapter (a key frame): 12 s of the 48 s clip
    main = bd_copy / "BDMV" / "PLAYLIST" / "00001.mpls"
    playlist = parse_mpls(main.read_bytes(), 1)
    item = playlist.play_items[0]
    _set_play_item(main, in_time=item.in_time + 36 * 45_000)
    source = bd_copy
    if as_image:
        from udfkit import bluray

        source = tmp_path / "variant.iso"
        bluray.write_image(str(bd_copy), str(source), "VARIANT_BD")
    title = next(t for t in scan_path(source).titles if t.source["playlist"] == "00001.mpls")
    assert title.duration_seconds == pytest.approx(12.0, abs=0.1)
    outcome = await rip_title(_job(source, title, tmp_path / "out", "bluray"))
    assert outcome.duration_seconds == pytest.approx(12.0, abs=0.3)


async def test_playlist_playing_nothing_is_no_title_and_no_rip(bd_copy: Path, tmp_path: Path) -> None:
    empty = bd_copy / "BDMV" / "PLAYLIST" / "00002.mpls"
    before = scan_path(bd_copy)
    _set_play_item(empty, items=0)
    after = scan_path(bd_copy)
    assert len(after.titles) == len(before.titles) - 1
    assert "00002.mpls" not in {t.source["playlist"] for t in after.titles}
    title = next(t for t in before.titles if t.source["playlist"] == "00002.mpls")
    with pytest.raises(RipError) as caught:
        await rip_title(_job(bd_copy, title, tmp_path / "out", "bluray"))
    assert caught.value.code == "invalid_job"
    assert not list((tmp_path / "out").rglob("*.mkv"))


def test_ffconcat_trims() -> None:
    text = ffconcat_text(["/a.m2ts", "/b.m2ts"], [(1.5, None), (None, 2.25)])
    assert text.splitlines() == ["ffconcat version 1.0", "file '/a.m2ts'", "inpoint 1.500000", "file '/b.m2ts'",
                                 "outpoint 2.250000"]
