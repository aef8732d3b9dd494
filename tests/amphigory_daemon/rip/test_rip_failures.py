"""Rips that end badly end cleanly: cancelled, disc taken out, disk full, ffmpeg killed; nothing left behind."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from rip_helpers import JobFactory, leftovers

from amphigory_daemon.rip import RipError, RipProgress, rip_title


async def first_progress(reports: list[RipProgress], task: asyncio.Task[object]) -> None:
    for _ in range(200):
        if any(r.bytes_written > 0 for r in reports) or task.done():
            return
        await asyncio.sleep(0.02)


def pid_of(pidfile: Path) -> int:
    return int(pidfile.read_text())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state not in ("Z", "X")


async def test_cancel_kills_ffmpeg_within_a_second_and_removes_the_partial(
    make_job: JobFactory, dvd_iso: Path, slow_ffmpeg: tuple[str, Path]
) -> None:
    ffmpeg, pidfile = slow_ffmpeg
    job = make_job("dvd", 1, dvd_iso, ffmpeg=ffmpeg)
    reports: list[RipProgress] = []
    task = asyncio.create_task(rip_title(job, reports.append))
    await first_progress(reports, task)
    partials = leftovers(job.output_root)
    assert partials and all(p.name.startswith(".") and ".partial" in p.name for p in partials)
    pid = pid_of(pidfile)

    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 5.0  # killed, not waited for (generous for a loaded machine)
    assert not alive(pid)
    assert leftovers(job.output_root) == []


async def test_progress_arrives_at_least_once_a_second(
    make_job: JobFactory, dvd_iso: Path, slow_ffmpeg: tuple[str, Path]
) -> None:
    job = make_job("dvd", 1, dvd_iso, ffmpeg=slow_ffmpeg[0])
    stamps: list[tuple[float, RipProgress]] = []
    task = asyncio.create_task(rip_title(job, lambda p: stamps.append((time.monotonic(), p))))
    await asyncio.sleep(2.6)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    times = [t for t, _ in stamps]
    assert len(times) >= 3 and max(b - a for a, b in itertools.pairwise(times)) <= 3.0
    last = stamps[-1][1]
    assert 0 < last.percent < 100 and last.bytes_written > 0 and last.speed_bps > 0
    assert last.eta_seconds is not None and last.eta_seconds > 0


async def test_image_removed_mid_rip_is_disc_ejected(
    make_job: JobFactory, dvd_iso: Path, slow_ffmpeg: tuple[str, Path], tmp_path: Path
) -> None:
    image = tmp_path / "drive" / "disc.iso"
    image.parent.mkdir()
    shutil.copy(dvd_iso, image)
    job = make_job("dvd", 1, image, ffmpeg=slow_ffmpeg[0])
    reports: list[RipProgress] = []
    task = asyncio.create_task(rip_title(job, reports.append))
    await first_progress(reports, task)

    image.unlink()  # taking the disc out of an image drive
    with pytest.raises(RipError) as info:
        await asyncio.wait_for(task, 2)

    assert info.value.code == "disc_ejected"
    assert leftovers(job.output_root) == []


async def test_ffmpeg_killed_is_tool_failed(
    make_job: JobFactory, dvd_iso: Path, slow_ffmpeg: tuple[str, Path]
) -> None:
    ffmpeg, pidfile = slow_ffmpeg
    job = make_job("dvd", 1, dvd_iso, ffmpeg=ffmpeg)
    reports: list[RipProgress] = []
    task = asyncio.create_task(rip_title(job, reports.append))
    await first_progress(reports, task)

    os.kill(pid_of(pidfile), signal.SIGKILL)
    with pytest.raises(RipError) as info:
        await asyncio.wait_for(task, 2)

    assert info.value.code == "tool_failed"
    assert "SIGKILL" in info.value.message
    assert leftovers(job.output_root) == []


async def test_title_bigger_than_the_free_space_is_refused_up_front(make_job: JobFactory, dvd_iso: Path) -> None:
    job = make_job("dvd", 1, dvd_iso)
    job = make_job("dvd", 1, dvd_iso, title=job.title.model_copy(update={"size_bytes": 1 << 60}))
    with pytest.raises(RipError) as info:
        await rip_title(job)
    assert info.value.code == "disk_full"
    assert leftovers(job.output_root) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> object:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (run as root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


async def test_disk_filling_up_mid_rip_is_disk_full(make_job: JobFactory, dvd_iso: Path, tiny_disk: Path) -> None:
    job = make_job("dvd", 1, dvd_iso, output_root=tiny_disk)
    job = make_job("dvd", 1, dvd_iso, output_root=tiny_disk, title=job.title.model_copy(update={"size_bytes": 0}))
    with pytest.raises(RipError) as info:
        await rip_title(job)
    assert info.value.code == "disk_full", info.value.message
    assert leftovers(tiny_disk) == []


async def test_missing_source_is_disc_ejected(make_job: JobFactory, tmp_path: Path) -> None:
    job = make_job("dvd", 1, tmp_path / "gone.iso")
    with pytest.raises(RipError) as info:
        await rip_title(job)
    assert info.value.code == "disc_ejected"


async def test_a_failed_rerip_keeps_the_earlier_rip(
    make_job: JobFactory, dvd_iso: Path, slow_ffmpeg: tuple[str, Path]
) -> None:
    ffmpeg, pidfile = slow_ffmpeg
    earlier = make_job("dvd", 1, dvd_iso).output_root / "Sample dvd" / "Title 1.mkv"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"the earlier rip")
    job = make_job("dvd", 1, dvd_iso, ffmpeg=ffmpeg, on_exists="replace", replaces=earlier)
    reports: list[RipProgress] = []
    task = asyncio.create_task(rip_title(job, reports.append))
    await first_progress(reports, task)

    os.kill(pid_of(pidfile), signal.SIGKILL)
    with pytest.raises(RipError):
        await asyncio.wait_for(task, 10)

    assert earlier.read_bytes() == b"the earlier rip"
    assert leftovers(job.output_root) == [earlier]
