"""The disk fills up mid-job: a 1 MiB tmpfs (mounted by the test; CI runs as root) under the folder being written,
filled up by another writer while the job runs. The rip, transcode or filing fails as `disk_full`, leaves no partial
file (in ripped/, the workers' folders, the library or its staging folder), the drive is free again, the rip stays
in ripped/, and a retry once space is freed files the film."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_stack import SHORT_TITLE, FaultStack, fill, small_disk

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_ripped(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "small-disk") as mount:
        yield mount


@pytest.fixture
def stack(tmp_path: Path, small_ripped: Path) -> Iterator[FaultStack]:
    running = FaultStack(tmp_path, output_dir=small_ripped / "ripped")
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_disk_full_mid_rip_fails_cleanly(stack: FaultStack, small_ripped: Path) -> None:
    fingerprint = stack.scanned_dvd()
    task_id = stack.rip(fingerprint)
    stack.mid_rip(task_id)
    fill(small_ripped)

    failed = stack.until(lambda: (t := stack.task(task_id))["status"] in ("failed", "complete") and t,
                         "the rip to end")
    assert failed["status"] == "failed", failed
    assert "space" in (failed["error"] or "").lower(), failed
    assert stack.partials() == [] and stack.finished() == []
    drive = stack.until(lambda: (d := stack.drive()) and d["state"] != "ripping" and d, "the drive free again")
    assert drive["state"] == "scanned" and drive["fingerprint"] == fingerprint
    track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == 3)
    assert track["status"] == "failed" and track["ripped_path"] is None


def ripped_and_filing(stack: FaultStack) -> tuple[str, Path, str]:
    """The sample DVD named and its short title ripped; its fingerprint, rip and the filing the rip started."""
    fingerprint = stack.scanned_dvd()
    stack.name_disc(fingerprint)
    rip_task = stack.rip(fingerprint)
    filing = stack.filing(rip_task)
    [rip] = stack.finished()
    return fingerprint, rip, filing


def assert_failed_cleanly(stack: FaultStack, filing: str, fingerprint: str, rip: Path) -> None:
    """The filing failed as disk_full, nothing of it is left anywhere, and the rip is still there to retry."""
    failed = stack.finished_task(filing)
    assert failed["status"] == "failed" and failed["error_code"] == "disk_full", failed
    assert "space" in (failed["error"] or "").lower(), failed
    stack.until(lambda: not stack.worker_files(), "the worker's folder emptied")
    assert stack.library_files() == []
    assert stack.finished() == [rip] and rip.stat().st_size > 0
    track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == SHORT_TITLE)
    assert track["status"] == "ripped" and track["ripped_path"] == str(rip) and track["library_path"] is None
    drive = stack.drive()
    assert drive is not None and drive["state"] == "scanned", drive


def assert_retry_files_it(stack: FaultStack, filing: str) -> dict[str, object]:
    retried = stack.finished_task(stack.retry(filing))
    assert retried["status"] == "complete", retried
    assert [p.relative_to(stack.library_dir).as_posix() for p in stack.library_files()] == [
        "Movies/Fault Film (2001)/Other/Extra 03.mkv"]  # title 3 is classified an extra
    return retried


def test_disk_full_mid_transcode_fails_the_filing_cleanly(tmp_path: Path) -> None:
    workers = tmp_path / "data" / "workers"  # where the local worker's ffmpeg writes its transcode
    with small_disk(workers):
        stack = FaultStack(tmp_path, webapp_args=("--offline", "1", "--transcode", "ffmpeg", "--workers", "1"),
                           rip_speed=None)  # only the transcode is slowed (to twice real time: 5 s)
        try:
            stack.start()
            fingerprint, rip, filing = ripped_and_filing(stack)
            stack.until(lambda: stack.worker_files() and stack.child_of("webapp", lambda argv: "libx264" in argv),
                        "ffmpeg encoding into the worker's folder")
            filler = fill(workers)

            assert_failed_cleanly(stack, filing, fingerprint, rip)
            filler.unlink()
            stack.pace(None, None)
            retried = assert_retry_files_it(stack, filing)
            assert retried["result"]["transcoded"] is True
        finally:
            stack.stop()


def test_disk_full_as_the_transcode_reaches_the_library_fails_the_filing_cleanly(tmp_path: Path) -> None:
    library = tmp_path / "data" / "library"  # the worker's folder is on another file system: it uploads its result
    with small_disk(library):
        stack = FaultStack(tmp_path, webapp_args=("--offline", "1", "--transcode", "ffmpeg", "--workers", "1"),
                           rip_speed=None, transcode_speed=None)
        try:
            stack.start()
            filler = fill(library, leave=64 << 10)  # the transcode is about 100 KB: its upload runs out of room
            fingerprint, rip, filing = ripped_and_filing(stack)

            assert_failed_cleanly(stack, filing, fingerprint, rip)
            filler.unlink()
            retried = assert_retry_files_it(stack, filing)
            assert retried["result"]["transcoded"] is True and retried["result"]["delivery"] == "uploaded"
        finally:
            stack.stop()


def test_disk_full_mid_filing_fails_cleanly(tmp_path: Path) -> None:
    library = tmp_path / "data" / "library"
    with small_disk(library):
        # filed as ripped: copied into the library (another file system than ripped/)
        stack = FaultStack(tmp_path, rip_speed=None)
        try:
            stack.start()
            filler = fill(library, leave=64 << 10)  # the title is 160 KB: its copy runs out of room half way
            fingerprint, rip, filing = ripped_and_filing(stack)
            size = rip.stat().st_size

            assert_failed_cleanly(stack, filing, fingerprint, rip)
            filler.unlink()
            retried = assert_retry_files_it(stack, filing)
            assert retried["result"]["method"] == "copy" and stack.library_files()[0].stat().st_size == size
        finally:
            stack.stop()
