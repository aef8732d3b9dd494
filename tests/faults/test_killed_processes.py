"""kill -9 mid-rip, of the daemon, of the webapp and of the daemon's ffmpeg (real processes, the sample DVD in an
image drive): nothing is left half-written, no task stays running for ever, and a completion is never lost."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_stack import SHORT_TITLE, FaultStack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[FaultStack]:
    running = FaultStack(tmp_path)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_daemon_killed_mid_rip_fails_the_task_and_leaves_no_partial_file(stack: FaultStack) -> None:
    fingerprint = stack.scanned_dvd()
    task_id = stack.rip(fingerprint)
    stack.mid_rip(task_id)

    stack.kill("daemon")
    failed = stack.until(lambda: (t := stack.task(task_id))["status"] == "failed" and t, "the task failed")
    assert failed["error_code"] == "daemon_disconnected", failed
    assert stack.until(lambda: stack.drive() is None, "the daemon's drive gone from /api/drives")

    stack.start_daemon()  # the same daemon again: it sweeps what its dead self left
    stack.until(lambda: (d := stack.drive()) and d["fingerprint"] == fingerprint, "the disc listed again")
    stack.until(lambda: not stack.partials(), "the partial file swept")
    assert stack.finished() == []
    track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == 3)
    assert track["status"] != "ripped" and track["ripped_path"] is None
    assert stack.task(task_id)["status"] == "failed"


def test_webapp_killed_mid_rip_loses_no_completion(stack: FaultStack) -> None:
    fingerprint = stack.scanned_dvd()
    task_id = stack.rip(fingerprint)
    stack.mid_rip(task_id)

    stack.kill("webapp")
    stack.until(lambda: not stack.partials() and stack.finished(), "the rip finished while the webapp is down")
    stack.start_webapp()  # same port, same database: the daemon reconnects and replays what was not acked

    done = stack.until(lambda: (t := stack.task(task_id))["status"] == "complete" and t, "the task complete")
    # (the ripped file itself may already be filed into the library and gone from ripped/)
    assert done["result"]["size_bytes"] > 0 and done["result"]["path"].startswith(str(stack.ripped_dir))
    track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == 3)
    assert track["status"] == "ripped" and track["ripped_path"] == done["result"]["path"]
    assert stack.partials() == []


def test_ffmpeg_killed_mid_rip_fails_the_task_and_frees_the_drive(stack: FaultStack) -> None:
    fingerprint = stack.scanned_dvd()
    task_id = stack.rip(fingerprint)
    stack.mid_rip(task_id)
    ripper = stack.until(lambda: stack.child_of("daemon", lambda argv: "-progress" in argv), "the daemon's ffmpeg")

    os.kill(ripper, signal.SIGKILL)
    failed = stack.finished_task(task_id)
    assert failed["status"] == "failed" and failed["error_code"] == "tool_failed", failed
    assert "SIGKILL" in failed["error"], failed
    assert stack.partials() == [] and stack.finished() == []
    track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == SHORT_TITLE)
    assert track["status"] == "failed" and track["ripped_path"] is None
    drive = stack.until(lambda: (d := stack.drive()) and d["state"] != "ripping" and d, "the drive free again")
    assert drive["state"] == "scanned" and drive["fingerprint"] == fingerprint

    again = stack.finished_task(stack.rip(fingerprint))  # the drive rips again, the same title
    assert again["status"] == "complete", again
    assert [p.name for p in stack.finished()] == [Path(again["result"]["path"]).name] and stack.partials() == []
