"""The pure parts of ripping: ffmpeg progress lines (on captured output), progress maths, safe names, duration
parsing, FLAC STREAMINFO, and the command plans."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amphigory_daemon.formats.bluray import BlurayStream
from amphigory_daemon.rip.naming import MAX_NAME_BYTES, safe_name
from amphigory_daemon.rip.plans import PcmRange, concatf_text, dvd_plan, ffmetadata_chapters, ffmpeg_argv, stn_maps
from amphigory_daemon.rip.progress import FfmpegProgressParser, ProgressTracker
from amphigory_daemon.rip.verify import duration_matches, parse_ffmpeg_duration, parse_flac_streaminfo

DATA = Path(__file__).parent / "data"


def test_progress_parser_on_captured_ffmpeg9_output() -> None:
    # Captured from ffmpeg 9.0.2 remuxing title 1 of the sample DVD (-progress pipe:1 -stats_period 0.5).
    parser = FfmpegProgressParser()
    blocks = [b for line in (DATA / "ffmpeg9_progress_dvd_title1.txt").read_text().splitlines()
              if (b := parser.feed(line)) is not None]
    assert len(blocks) == 83
    assert blocks[0].out_time_us == 13_546_867 and blocks[0].total_size == 51_977 and blocks[0].speed == 27.1
    assert blocks[-1].done and not blocks[-2].done
    assert blocks[-1].out_time_us == 48_030_667 and blocks[-1].total_size == 767_754
    times = [b.out_time_us for b in blocks if b.out_time_us is not None]
    assert times == sorted(times)


def test_progress_parser_tolerates_na_and_junk() -> None:
    parser = FfmpegProgressParser()
    for line in ["total_size=N/A", "out_time_us=N/A", "speed=N/A", "garbage", ""]:
        assert parser.feed(line) is None
    block = parser.feed("progress=continue")
    assert block is not None and block.out_time_us is None and block.total_size is None and block.speed is None


def test_tracker_speed_eta_and_cap() -> None:
    tracker = ProgressTracker(started=10.0)
    report = tracker.update(12.0, fraction=0.25, bytes_written=2_000_000)
    assert report.speed_bps == 1_000_000 and report.eta_seconds == pytest.approx(6.0)
    assert tracker.update(13.0, fraction=1.0).percent == 99.9  # 100 only once verified
    assert tracker.update(13.5, fraction=0.5).percent == 99.9  # never goes back
    assert tracker.snapshot(finished=True).percent == 100.0


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc", "_.._etc"), ("/abs", "_abs"), ("CON", "_CON"), ("con.txt", "_con.txt"), ("..", "fb"),
    ("", "fb"), ("a\x00b\nc", "a_b_c"), ("  .hidden ", "hidden"), ("Movie: Part 2?", "Movie_ Part 2_"),
])
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name, "fb") == expected


@given(st.text())
def test_safe_name_is_always_one_harmless_component(text: str) -> None:
    name = safe_name(text)
    assert name and "/" not in name and "\\" not in name and not name.startswith(".")
    assert len(name.encode()) <= MAX_NAME_BYTES and name not in (".", "..")
    assert all(ord(c) >= 0x20 for c in name)


def test_duration_line_and_tolerance() -> None:
    lines = ["Input #0, matroska,webm, from 'x.mkv':", "  Duration: 01:02:03.50, start: 0.000000, bitrate: 1 kb/s"]
    assert parse_ffmpeg_duration(lines) == 3723.5
    assert parse_ffmpeg_duration(["  Duration: N/A, bitrate: N/A"]) is None
    assert duration_matches(3600, 3635) and not duration_matches(3600, 3637)
    assert duration_matches(8.0, 8.2) and not duration_matches(8.0, 8.3)


def test_flac_streaminfo() -> None:
    info_block = bytes.fromhex("10001000000000000e00") + (
        (44100 << 44) | (1 << 41) | (15 << 36) | 88200).to_bytes(8, "big") + bytes(range(16))
    head = b"fLaC" + bytes([0x80, 0, 0, 34]) + info_block
    info = parse_flac_streaminfo(head)
    assert info is not None
    assert (info.sample_rate, info.channels, info.bits_per_sample, info.total_samples) == (44100, 2, 16, 88200)
    assert info.md5 == bytes(range(16))
    assert parse_flac_streaminfo(b"RIFF" + bytes(40)) is None


def test_bluray_maps_follow_the_playlist_order_and_languages() -> None:
    streams = [BlurayStream("video", 0x1011, 0x1B), BlurayStream("audio", 0x1101, 0x81, "fre"),
               BlurayStream("audio", 0x1100, 0x81, "eng"), BlurayStream("pg", 0x1200, 0x90, "eng")]
    assert stn_maps(streams) == ["-map", "0:v:0", "-map", "0:a:1", "-metadata:s:a:0", "language=fre",
                                 "-map", "0:a:0", "-metadata:s:a:1", "language=eng",
                                 "-map", "0:s:0", "-metadata:s:s:0", "language=eng"]


def test_chapters_and_byte_range_lists() -> None:
    text = ffmetadata_chapters([0, 45_000, 90_000], 135_000)
    assert text.count("[CHAPTER]") == 3 and "START=90000\nEND=135000" in text
    assert concatf_text([PcmRange(Path("/d/a.bin"), 0, 2352)]) == "subfile,,start,0,end,2352,,:/d/a.bin\n"


def test_ffmpeg_writes_the_empty_partial_without_truncating_it() -> None:
    # O_TRUNC on the partial (an existing, empty file) made ext4 allocate and write out the whole rip when ffmpeg
    # closed it (auto_da_alloc): 0.4 s per GB in close(), and the disk busy under the checksum
    argv = ffmpeg_argv("ffmpeg", dvd_plan(Path("/d"), 1, 60.0), Path("/out/.t.partial.mkv"))
    assert argv[-5:] == ["matroska", "-truncate", "0", "-y", "/out/.t.partial.mkv"]
    assert argv.index("-truncate") > argv.index("-i")  # an output option
