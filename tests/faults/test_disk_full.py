"""The disk fills up during a rip: the daemon's output folder is a 1 MiB tmpfs (mounted by the test; CI runs as
root), with room for the title when the rip starts, filled up by another writer while it runs. The rip fails with
the reason, leaves no partial file, and the drive is free again."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_stack import FaultStack

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs (the fault suite runs as root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def stack(tmp_path: Path, small_disk: Path) -> Iterator[FaultStack]:
    running = FaultStack(tmp_path, output_dir=small_disk / "ripped")
    try:
        running.start()
        yield running
    finally:
        running.stop()


def fill(folder: Path) -> None:
    """Another writer takes every byte left on the file system."""
    with (folder / "filler").open("wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError:
            pass


def test_disk_full_mid_rip_fails_cleanly(stack: FaultStack, small_disk: Path) -> None:
    fingerprint = stack.scanned_dvd()
    task_id = stack.rip(fingerprint)
    stack.mid_rip(task_id)
    fill(small_disk)

    failed = stack.until(lambda: (t := stack.task(task_id))["status"] in ("failed", "complete") and t,
                         "the rip to end")
    assert failed["status"] == "failed", failed
    assert "space" in (failed["error"] or "").lower(), failed
    assert stack.partials() == [] and stack.finished() == []
    drive = stack.until(lambda: (d := stack.drive()) and d["state"] != "ripping" and d, "the drive free again")
    assert drive["state"] == "scanned" and drive["fingerprint"] == fingerprint
    track = next(t for t in stack.get(f"/api/discs/{fingerprint}")["tracks"] if t["number"] == 3)
    assert track["status"] == "failed" and track["ripped_path"] is None
