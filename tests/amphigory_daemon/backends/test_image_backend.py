"""Image drives on real temporary folders: insert, eject, settle, conflict, folder and CUE discs, and eject's move."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from amphigory_daemon.backends.base import DriveEvent
from amphigory_daemon.backends.image import DriveFolder, ImageDriveBackend, find_discs


class Sink:
    def __init__(self) -> None:
        self.events: list[DriveEvent] = []

    def __call__(self, event: DriveEvent) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    async def wait(self, n: int, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while len(self.events) < n:
            if time.monotonic() > end:
                raise AssertionError(f"expected {n} events, got {self.events}")
            await asyncio.sleep(0.01)


def old(path: Path) -> Path:
    """Make a file look written a while ago (a finished image moved in)."""
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


def put(folder: Path, name: str, data: bytes = b"x" * 4096) -> Path:
    staged = folder.parent / f"staged-{name}"
    staged.write_bytes(data)
    old(staged)
    return staged.rename(folder / name)


@pytest.fixture
async def drive(tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "drive1"
    backend = ImageDriveBackend([folder], settle_seconds=0.1)
    sink = Sink()
    await backend.start(sink)
    yield backend, folder, sink
    await backend.stop()


def test_find_discs_recognises_every_kind(tmp_path: Path) -> None:
    (tmp_path / "a.ISO").write_bytes(b"iso")
    (tmp_path / "cd.cue").write_text('FILE "cd.bin" BINARY\n  TRACK 01 AUDIO\n')
    (tmp_path / "cd.bin").write_bytes(b"\0" * 2352)
    (tmp_path / "Movie" / "VIDEO_TS").mkdir(parents=True)
    (tmp_path / "Movie" / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"ifo")
    (tmp_path / "not-a-disc").mkdir()
    (tmp_path / ".hidden.iso").write_bytes(b"rsync temp")
    (tmp_path / "notes.txt").write_text("hello")
    found = find_discs(tmp_path)
    assert sorted(found) == ["Movie", "a.ISO", "cd.cue"]
    assert found["cd.cue"].members == (tmp_path / "cd.cue", tmp_path / "cd.bin")
    assert found["cd.cue"].signature[0] == len('FILE "cd.bin" BINARY\n  TRACK 01 AUDIO\n') + 2352
    assert found["Movie"].signature[2] == 1


def test_bare_video_ts_folder_makes_the_drive_folder_the_disc(tmp_path: Path) -> None:
    (tmp_path / "VIDEO_TS").mkdir()
    (tmp_path / "VIDEO_TS" / "VIDEO_TS.IFO").write_bytes(b"ifo")
    found = find_discs(tmp_path)
    assert list(found) == [""] and found[""].path == tmp_path


def test_cue_with_missing_bin_never_settles(tmp_path: Path) -> None:
    (tmp_path / "cd.cue").write_text('FILE "cd.bin" BINARY\n')
    old(tmp_path / "cd.cue")
    state = DriveFolder(tmp_path)
    events, again = state.apply(find_discs(tmp_path), 100.0, time.time(), 0.1)
    assert events == [] and again
    events, again = state.apply(find_discs(tmp_path), 101.0, time.time(), 0.1)
    assert events == [] and again


def test_growing_image_waits_until_it_stops_growing(tmp_path: Path) -> None:
    image = tmp_path / "disc.iso"
    image.write_bytes(b"a" * 100)  # fresh mtime: still being written, as far as anyone can tell
    state = DriveFolder(tmp_path)
    now = time.time()
    assert state.apply(find_discs(tmp_path), 0.0, now, 0.5) == ([], True)
    with image.open("ab") as f:
        f.write(b"b" * 100)
    assert state.apply(find_discs(tmp_path), 0.6, now + 0.6, 0.5) == ([], True)  # grew: starts over
    events, again = state.apply(find_discs(tmp_path), 1.2, now + 1.2, 0.5)
    assert [e.kind for e in events] == ["inserted"] and not again
    assert events[0].path == str(image)


async def test_insert_and_remove_are_seen_promptly(drive) -> None:  # type: ignore[no-untyped-def]
    # Typically ~0.3 s (bench/insert_latency.py measures it); the bounds only tell "seen" from "missed".
    backend, folder, sink = drive
    assert backend.drives() == ["drive1"]
    t0 = time.monotonic()
    image = put(folder, "movie.iso")
    await sink.wait(1)
    assert time.monotonic() - t0 < 5.0
    assert sink.events[0] == DriveEvent("inserted", "drive1", str(image))
    image.unlink()
    await sink.wait(2)
    assert sink.events[1].kind == "ejected" and time.monotonic() - t0 < 10.0


async def test_half_copied_image_is_reported_once_complete(drive) -> None:  # type: ignore[no-untyped-def]
    _backend, folder, sink = drive
    image = folder / "big.iso"
    with image.open("wb") as f:
        for _ in range(5):
            f.write(b"z" * 65536)
            f.flush()
            await asyncio.sleep(0.05)
        assert sink.events == []
    await sink.wait(1)
    assert sink.kinds() == ["inserted"]
    assert find_discs(folder)["big.iso"].signature[0] == 5 * 65536


async def test_second_image_is_a_conflict_not_ignored(drive) -> None:  # type: ignore[no-untyped-def]
    _backend, folder, sink = drive
    first = put(folder, "one.iso")
    await sink.wait(1)
    second = put(folder, "two.iso")
    await sink.wait(2)
    assert sink.events[1].kind == "conflict"
    assert "one.iso" in sink.events[1].message and "two.iso" in sink.events[1].message
    await asyncio.sleep(0.3)
    assert sink.kinds() == ["inserted", "conflict"]  # reported once, first disc kept
    first.unlink()
    await sink.wait(4)
    assert sink.kinds() == ["inserted", "conflict", "ejected", "inserted"]
    assert sink.events[3].path == str(second)


async def test_folder_disc_and_eject_moves_it_aside(drive) -> None:  # type: ignore[no-untyped-def]
    backend, folder, sink = drive
    staged = folder.parent / "Movie"
    (staged / "VIDEO_TS").mkdir(parents=True)
    old(staged / "VIDEO_TS")
    old(staged)
    staged.rename(folder / "Movie")
    await sink.wait(1)
    assert sink.events[0].path == str(folder / "Movie")
    await backend.eject("drive1")
    assert sink.kinds() == ["inserted", "ejected"]
    assert (folder / ".ejected" / "Movie" / "VIDEO_TS").is_dir() and not (folder / "Movie").exists()


async def test_eject_of_cue_moves_its_bin_and_renames_on_clash(drive) -> None:  # type: ignore[no-untyped-def]
    backend, folder, sink = drive
    (folder / ".ejected").mkdir()
    (folder / ".ejected" / "cd.cue").write_text("an earlier eject")
    put(folder, "cd.bin", b"\0" * 2352)
    put(folder, "cd.cue", b'FILE "cd.bin" BINARY\n')
    await sink.wait(1)
    await backend.eject("drive1")
    assert sorted(p.name for p in folder.iterdir()) == [".ejected"]
    names = sorted(p.name for p in (folder / ".ejected").iterdir())
    assert "cd.bin" in names and "cd.cue" in names and len(names) == 3


async def test_disc_present_at_start_and_poll_only_mode(tmp_path: Path) -> None:
    folder = tmp_path / "drive9"
    folder.mkdir()
    put(folder, "early.iso")
    backend = ImageDriveBackend([folder], watch=False, poll_interval=0.1, settle_seconds=0.05)
    sink = Sink()
    await backend.start(sink)
    try:
        assert sink.kinds() == ["inserted"]  # reported during start
        (folder / "early.iso").unlink()
        await sink.wait(2)
        assert sink.kinds() == ["inserted", "ejected"]
    finally:
        await backend.stop()


def test_duplicate_drive_names_are_refused(tmp_path: Path) -> None:
    from amphigory_daemon.backends.base import BackendError

    with pytest.raises(BackendError, match="named 'drive'"):
        ImageDriveBackend([tmp_path / "a" / "drive", tmp_path / "b" / "drive"])
