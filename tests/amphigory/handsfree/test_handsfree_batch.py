"""A disc's hands-free batch follows each track from rip to library, whatever order the tasks end in."""

from __future__ import annotations

from typing import Any

from amphigory.handsfree.batch import Batch
from amphigory.tasks import Task


def task(kind: str, number: int, status: str, fingerprint: str = "fp", **values: Any) -> Task:
    return Task(id=f"{kind}-{number}", type=kind, status=status, progress=0, daemon_id="d", drive_id="d:sr0",
                fingerprint=fingerprint, track_number=number, created_at="t", updated_at="t", **values)


def test_rips_then_filings_end_the_batch_with_what_was_filed() -> None:
    batch = Batch("fp", "d:sr0", {1: "ripping", 2: "ripping"})
    assert batch.apply(task("rip", 1, "complete", result={"filing": {"task_id": "f1"}}))
    assert not batch.rips_done
    # the filing of title 2 ends before its rip task does (the filer is quick)
    assert batch.apply(task("file", 2, "complete", result={"library_path": "Movies/T/Trailers/T.mkv"}))
    assert not batch.apply(task("rip", 2, "complete", result={"filing": {"task_id": "f2"}}))
    assert batch.rips_done and not batch.done
    assert batch.apply(task("file", 1, "complete", result={"library_path": "Movies/T/T.mkv"}))
    assert batch.done and batch.filed == ["Movies/T/Trailers/T.mkv", "Movies/T/T.mkv"] and not batch.problems


def test_held_failed_and_cancelled_tracks_end_too_and_failures_say_why() -> None:
    batch = Batch("fp", "d:sr0", {1: "ripping", 2: "ripping", 3: "ripping", 4: "ripping"})
    batch.apply(task("rip", 1, "complete", result={"filing": {"skipped": "held", "note": "held"}}))
    batch.apply(task("rip", 2, "failed", error="ffmpeg exited 1", error_code="tool_failed"))
    batch.apply(task("rip", 3, "cancelled", error_code="cancelled"))
    batch.apply(task("rip", 4, "complete", result={"filing": {"skipped": "not_reachable", "note": "not here"}}))
    assert batch.done and batch.tracks == {1: "held", 2: "rip_failed", 3: "cancelled", 4: "not_filed"}
    assert batch.problems == ["title 2: rip failed: ffmpeg exited 1", "title 4: ripped but not filed: not here"]


def test_other_discs_tracks_and_scans_are_not_this_batchs() -> None:
    batch = Batch("fp", "d:sr0", {1: "ripping"})
    assert not batch.apply(task("rip", 1, "complete", fingerprint="other"))
    assert not batch.apply(task("rip", 2, "complete"))
    assert not batch.apply(task("scan", 1, "complete"))
    assert batch.tracks == {1: "ripping"}
