"""kill -9 of the encoder (ffmpeg, HandBrakeCLI) under the webapp's local worker in the middle of a transcode. The
queue's rule for a transcode that fails is to fail the task (a worker does not run again what failed, it would fail
again elsewhere), so the filing fails saying the encoder was killed, is never marked complete, leaves no half file
in the worker's folder, the staging folder or the library, and the rip stays in ripped/ for a retry; the worker
lives on and files the retry.

ffmpeg is slowed to real time (fault_stack's wrapper: 10 s); HandBrakeCLI gets an exported preset that upscales to
1080p with x264's `placebo` (a minute's work for the 10 s title), so the kill lands mid-encode; the retry, with the
preset file swapped for HandBrake's ordinary DVD preset, takes a second or two."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_stack import SHORT_TITLE, FaultStack

pytestmark = pytest.mark.e2e
SLOW = "Fault Slow"


def handbrake_preset(folder: Path, slow: bool) -> None:
    """An exported HandBrake preset named SLOW (as a person drops one into <data>/presets/, read at each filing):
    `slow`, upscaled to 1080p and encoded with x264's placebo; else HandBrake's own DVD preset."""
    handbrake = shutil.which("HandBrakeCLI")
    assert handbrake is not None, "HandBrakeCLI is not installed (./dev installs handbrake-cli for the tests)"
    folder.mkdir(parents=True, exist_ok=True)
    exported = folder / "slow.json"
    speed = ["--encoder-preset", "placebo"] if slow else []
    subprocess.run([handbrake, "--preset", "Fast 480p30", *speed, "--preset-export", SLOW, "--preset-export-file",
                    str(exported)], check=True, capture_output=True, timeout=60)
    if slow:
        body = json.loads(exported.read_text())
        body["PresetList"][0].update(PictureAllowUpscaling=True, PictureUseMaximumSize=False, PictureKeepRatio=False,
                                     PictureWidth=1920, PictureHeight=1080, PictureForceWidth=1920,
                                     PictureForceHeight=1080)
        exported.write_text(json.dumps(body))


def is_ffmpeg_encoding(argv: list[str]) -> bool:
    return "libx264" in argv


def is_handbrake(argv: list[str]) -> bool:
    return bool(argv) and Path(argv[0]).name == "HandBrakeCLI"


@pytest.mark.parametrize("mode", ["ffmpeg", "handbrake"])
def test_encoder_killed_mid_transcode_fails_the_filing_and_loses_nothing(tmp_path: Path, mode: str) -> None:
    args = ("--offline", "1", "--transcode", mode, "--workers", "1")
    encoder: Callable[[list[str]], bool] = is_ffmpeg_encoding
    if mode == "handbrake":
        handbrake_preset(tmp_path / "data" / "presets", slow=True)
        args += ("--transcode-preset", SLOW)
        encoder = is_handbrake
    stack = FaultStack(tmp_path, webapp_args=args, rip_speed=None, transcode_speed=1.0)
    try:
        stack.start()
        fingerprint = stack.scanned_dvd()
        stack.name_disc(fingerprint)
        filing = stack.filing(stack.rip(fingerprint))
        [rip] = stack.finished()
        stack.until(lambda: stack.task(filing)["progress"] > 0, "the transcode under way")
        pid = stack.until(lambda: stack.child_of("webapp", encoder), f"the worker's {mode}")
        worker = stack.child_of("webapp", lambda argv: "worker" in argv)

        os.kill(pid, signal.SIGKILL)
        failed = stack.finished_task(filing)
        assert failed["status"] == "failed" and failed["error_code"] == "transcode_failed", failed
        assert "killed by SIGKILL" in failed["error"], failed
        stack.until(lambda: not stack.worker_files(), "the worker's folder emptied")
        assert stack.library_files() == []
        assert stack.finished() == [rip]
        track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == SHORT_TITLE)
        assert track["status"] == "ripped" and track["ripped_path"] == str(rip) and track["library_path"] is None

        stack.pace(None, None)  # the retry at full speed: a second or two
        if mode == "handbrake":
            handbrake_preset(tmp_path / "data" / "presets", slow=False)
        retried = stack.finished_task(stack.retry(filing))
        assert retried["status"] == "complete" and retried["result"]["transcoded"] is True, retried
        assert len(stack.library_files()) == 1
        assert stack.task(filing)["status"] == "failed"  # the killed attempt never completes
        assert worker is not None and stack.child_of("webapp", lambda argv: "worker" in argv) == worker
    finally:
        stack.stop()
