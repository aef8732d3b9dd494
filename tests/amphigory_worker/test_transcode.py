"""Transcode command lines and progress parsers, on real captured HandBrakeCLI and ffmpeg output."""

from __future__ import annotations

from pathlib import Path

import pytest

from amphigory_worker import transcode
from amphigory_worker.transcode import (
    Progress,
    Recipe,
    ffmpeg,
    ffmpeg_parser,
    handbrake,
    handbrake_preset,
    parse_handbrake_line,
    parse_handbrake_progress,
    split_lines,
)

DATA = Path(__file__).parents[1] / "amphigory" / "library" / "data"


def _lines(name: str) -> list[str]:
    buffer = bytearray((DATA / name).read_bytes())
    return split_lines(buffer)


def test_handbrake_progress_from_captured_output() -> None:
    values = [v for line in _lines("handbrake-1.6-fast480p30-sample-dvd-title3.stdout")
              if (v := parse_handbrake_line(line)) is not None]
    assert values == [44.0, 82.33, 99.67]


@pytest.mark.parametrize(("line", "expected"), [
    ("Encoding: task 1 of 1, 12.34 % (45.67 fps, avg 50.12 fps, ETA 00h01m23s)", 12.34),
    ("Encoding: task 2 of 2, 50.00 %", 75.0),
    ("Encoding: task 1 of 2, 100.00 % (1.0 fps, avg 1.0 fps, ETA 00h00m00s)", 50.0),
    ("Muxing: this may take awhile...", None),
    ("Encoding: task 3 of 2, 50.00 %", None),
    ("", None),
])
def test_handbrake_line(line: str, expected: float | None) -> None:
    value = parse_handbrake_line(line)
    assert value == (pytest.approx(expected) if expected is not None else None)


def test_ffmpeg_progress_from_captured_output() -> None:
    parse = ffmpeg_parser(10.0)
    values = [v.percent for line in _lines("ffmpeg-9.0-progress-sample-dvd-title3.stdout")
              if (v := parse(line)) is not None]
    assert values == [100.0, 100.0, 100.0]  # out_time_us, out_time_ms (10.012 s, capped), progress=end
    assert ffmpeg_parser(20.0)("out_time_us=5000000") == Progress(25.0)
    assert ffmpeg_parser(None)("out_time_us=5000000") is None
    assert ffmpeg_parser(20.0)("out_time_us=N/A") is None


def test_ffmpeg_progress_has_fps_and_an_eta_from_its_speed() -> None:
    parse = ffmpeg_parser(100.0)
    assert [parse(line) for line in ("fps=48.5", "speed=2.5x")] == [None, None]
    assert parse("out_time_us=50000000") == Progress(50.0, 48.5, 20.0)  # 50 s left at 2.5x: 20 s


def test_handbrake_progress_has_fps_and_eta() -> None:
    line = "Encoding: task 1 of 1, 12.34 % (45.67 fps, avg 50.12 fps, ETA 00h01m23s)"
    assert parse_handbrake_progress(line) == Progress(12.34, 45.67, 83.0)
    assert parse_handbrake_progress("Encoding: task 1 of 1, 5.00 %") == Progress(5.0)


def test_split_lines_keeps_an_unfinished_line() -> None:
    buffer = bytearray(b"a\rb\r\nc")
    assert split_lines(buffer) == ["a", "b"]
    assert buffer == b"c"


@pytest.mark.parametrize(("height", "preset"), [
    (480, "Fast 480p30"), (576, "Fast 576p25"), (720, "Fast 720p30"), (1080, "Fast 1080p30"),
    (2160, "H.265 MKV 2160p60 4K"), (None, "Fast 1080p30"), (240, "Fast 480p30"),
])
def test_preset_by_resolution(height: int | None, preset: str) -> None:
    assert handbrake_preset(height) == preset


def test_ffmpeg_picks_x265_above_1080() -> None:
    assert "libx264" in ffmpeg("ffmpeg", Path("a"), Path("b"), 1080, 1.0).args
    assert "libx265" in ffmpeg("ffmpeg", Path("a"), Path("b"), 2160, 1.0).args


def test_handbrake_missing_falls_back_to_ffmpeg_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "find_handbrake", lambda: None)
    job, notes = transcode.commands("handbrake", Path("a.mkv"), Path("b.mkv"), 480, 10.0)
    assert job.description == "ffmpeg libx264 CRF 20"
    assert notes == ["HandBrakeCLI is not installed: transcoded with ffmpeg instead"]


def test_languages_choose_audio_and_subtitle_tracks() -> None:
    recipe = Recipe(languages=("eng", "fre"))
    args = handbrake("HandBrakeCLI", Path("a"), Path("b"), 480, recipe).args
    assert args[args.index("--audio-lang-list") + 1] == "eng,fre" and "--all-audio" in args
    assert args[args.index("--subtitle-lang-list") + 1] == "eng,fre" and "--markers" in args
    maps = ffmpeg("ffmpeg", Path("a"), Path("b"), 480, 1.0, recipe).args
    assert "0:a:m:language:fre?" in maps and "0:s:m:language:eng?" in maps and "0:v" in maps
    assert maps[maps.index("-map_chapters") + 1] == "0"
    everything = ffmpeg("ffmpeg", Path("a"), Path("b"), 480, 1.0).args
    assert everything[everything.index("-map") + 1] == "0"
    with pytest.raises(ValueError, match="language"):
        Recipe(languages=("english; rm -rf",))


def test_uhd_keeps_hdr_and_a_named_or_exported_preset_is_used_as_given() -> None:
    uhd = ffmpeg("ffmpeg", Path("a"), Path("b"), 2160, 1.0).args
    assert "yuv420p10le" in uhd and any("hdr10-opt=1" in a for a in uhd)
    named = handbrake("HandBrakeCLI", Path("a"), Path("b"), 480, Recipe(preset="HQ 1080p30 Surround")).args
    assert named[named.index("--preset") + 1] == "HQ 1080p30 Surround"
    exported = handbrake("HandBrakeCLI", Path("a"), Path("b"), 480, Recipe(preset="Mine"), Path("/w/p.json")).args
    assert exported[exported.index("--preset-import-file") + 1] == "/w/p.json"
    assert exported.index("--preset-import-file") < exported.index("--preset")


def test_a_named_preset_without_handbrake_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "find_handbrake", lambda: None)
    job, notes = transcode.commands("handbrake", Path("a.mkv"), Path("b.mkv"), 1080, 10.0, Recipe(preset="X"))
    assert job.description == "ffmpeg libx264 CRF 20"
    assert notes == ["HandBrakeCLI is not installed: transcoded with ffmpeg instead (preset 'X' needs HandBrake)"]
