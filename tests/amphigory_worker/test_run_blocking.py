"""The worker's encoder runner, with a real ffmpeg: progress with fps, a failure's last words, and a stop that
kills the encoder at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from amphigory_protocol.ffmpeg import ffmpeg_exe
from amphigory_worker.transcode import (
    Progress,
    Stopped,
    TranscodeError,
    Transcoder,
    ffmpeg_parser,
    run_blocking,
)


def _encode(target: Path, seconds: int, realtime: bool) -> Transcoder:
    source = ["-re"] if realtime else []
    args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-progress", "pipe:1", *source, "-f",
            "lavfi", "-i", f"testsrc2=size=160x120:rate=25:duration={seconds}", "-c:v", "libx264", "-preset",
            "ultrafast", "-f", "matroska", "-y", str(target)]
    return Transcoder(ffmpeg_exe(), args, ffmpeg_parser(float(seconds)), "ffmpeg test")


def test_progress_is_reported_to_the_end(tmp_path: Path) -> None:
    seen: list[Progress] = []
    run_blocking(_encode(tmp_path / "out.mkv", 2, realtime=False), seen.append, threading.Event())
    assert seen[-1].percent == 100.0 and (tmp_path / "out.mkv").stat().st_size > 0
    assert [p.percent for p in seen] == sorted(p.percent for p in seen)


def test_stop_kills_the_encoder_at_once(tmp_path: Path) -> None:
    stop = threading.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        stop.set()  # the webapp said: no longer yours

    started = time.monotonic()
    with pytest.raises(Stopped):
        run_blocking(_encode(tmp_path / "out.mkv", 600, realtime=True), progress, stop)
    assert seen and time.monotonic() - started < 30  # not the ten minutes the encode would take


def test_a_failing_encoder_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(b"not a film" * 100)
    job = Transcoder(ffmpeg_exe(), ["-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(broken), "-f",
                                     "matroska", "-y", str(tmp_path / "o.mkv")], ffmpeg_parser(1.0), "ffmpeg test")
    with pytest.raises(TranscodeError, match=r"ffmpeg test failed \(exit "):
        run_blocking(job, lambda p: None, threading.Event())


def _shell(script: str) -> Transcoder:
    return Transcoder("/bin/sh", ["-c", script], ffmpeg_parser(1.0), "ffmpeg test")


def test_an_encoder_out_of_space_is_disk_full_and_its_progress_lines_are_not_its_last_words() -> None:
    job = _shell("echo speed=1.5x; echo 'Error writing trailer: No space left on device'; echo progress=end; exit 228")
    with pytest.raises(TranscodeError) as info:
        run_blocking(job, lambda p: None, threading.Event())
    assert info.value.code == "disk_full"
    assert str(info.value) == ("ffmpeg test ran out of disk space (exit 228): Error writing trailer: "
                               "No space left on device")


def test_a_killed_encoder_says_by_what() -> None:
    with pytest.raises(TranscodeError) as info:
        run_blocking(_shell("echo 'Output #0, matroska'; kill -9 $$"), lambda p: None, threading.Event())
    assert info.value.code == "transcode_failed"
    assert str(info.value) == "ffmpeg test was killed by SIGKILL: Output #0, matroska"
