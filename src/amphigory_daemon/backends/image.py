"""Image drives: a folder is a drive, and putting one disc image into it is inserting that disc.

A disc in a drive folder is one of: a `.iso` (DVD or Blu-ray), a `.cue` (with the `.bin` files it names), a
folder holding `VIDEO_TS` or `BDMV`, or a `VIDEO_TS` / `BDMV` folder dropped in directly (then the drive folder
itself is the disc). Names starting with `.` are ignored, so `DIR/.ejected/` and the hidden temporary files of
`rsync` never count. Exactly one disc = inserted; it disappearing (or changing) = ejected; a second disc in an
occupied (or empty) drive = a `conflict` event, reported once per set of clashing names, and nothing is inserted
until one of them is taken out.

Changes are noticed through watchfiles (inotify) within about 50 ms, with a slow poll as a safety net (or a fast
one when the watcher is disabled). A disc is reported only once it has settled: its size, file count and newest
modification time unchanged for `settle_seconds`, or its newest modification already older than that when first
seen (an image moved in whole). `eject` moves the disc into `DIR/.ejected/` (adding a suffix when the name is
taken), so the action is visible and reversible by moving it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import watchfiles

from amphigory_daemon.backends.base import BackendError, DriveBackend, DriveEvent, EventSink

log = logging.getLogger(__name__)

EJECTED_DIR = ".ejected"
INCOMPLETE_SETTLE_SECONDS = 2.0  # a disc with a named file missing for this long is inserted anyway
DISC_FOLDERS = ("video_ts", "bdmv")
_CUE_FILE = re.compile(r'^\s*FILE\s+(?:"([^"]+)"|(\S+))', re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Candidate:
    """One disc (or half of one still being copied) found in a drive folder."""

    name: str  # the entry in the drive folder ("" when the drive folder itself is the disc)
    path: Path  # what identify() reads
    members: tuple[Path, ...]  # what eject moves
    signature: tuple[int, int, int]  # (total bytes, newest mtime_ns, file count); -1 bytes = a named file missing
    newest_mtime: float


def _tree_stats(paths: Sequence[Path]) -> tuple[int, int, int]:
    size = newest = count = 0
    for top in paths:
        try:
            st = top.stat()
        except OSError:
            return (-1, 0, 0)
        if top.is_dir():
            for root, _dirs, files in os.walk(top):
                for f in files:
                    with contextlib.suppress(OSError):
                        fst = os.stat(os.path.join(root, f))
                        size, count = size + fst.st_size, count + 1
                        newest = max(newest, fst.st_mtime_ns)
        else:
            size, count = size + st.st_size, count + 1
        newest = max(newest, st.st_mtime_ns)
    return (size, newest, count)


def _cue_members(cue: Path) -> tuple[Path, ...]:
    try:
        text = cue.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return (cue,)
    names = [m.group(1) or m.group(2) for m in _CUE_FILE.finditer(text)]
    return (cue, *(cue.parent / n for n in names))


def _candidate(name: str, path: Path, members: tuple[Path, ...]) -> Candidate:
    sig = _tree_stats(members)
    return Candidate(name, path, members, sig, sig[1] / 1e9)


def find_discs(folder: Path) -> dict[str, Candidate]:
    """Every disc (settled or not) in one drive folder, by entry name. Blocking: call it in a thread."""
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return {}
    found: dict[str, Candidate] = {}
    root_members = tuple(p for p in entries if p.is_dir() and p.name.lower() in DISC_FOLDERS)
    if root_members:
        found[""] = _candidate("", folder, root_members)
    for p in entries:
        lower = p.name.lower()
        if p.is_file() and lower.endswith(".iso"):
            found[p.name] = _candidate(p.name, p, (p,))
        elif p.is_file() and lower.endswith(".cue"):
            found[p.name] = _candidate(p.name, p, _cue_members(p))
        elif p.is_dir() and lower not in DISC_FOLDERS and _is_disc_folder(p):
            found[p.name] = _candidate(p.name, p, (p,))
    return found


def _is_disc_folder(path: Path) -> bool:
    try:
        return any(c.is_dir() and c.name.lower() in DISC_FOLDERS for c in path.iterdir())
    except OSError:
        return False


@dataclass
class DriveFolder:
    """What one image drive knows: the disc in it, discs still settling, and the last conflict reported."""

    folder: Path
    current: Candidate | None = None
    pending: dict[str, tuple[tuple[int, int, int], float]] = field(default_factory=dict)
    conflict: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.folder.name

    def apply(
        self, found: dict[str, Candidate], now: float, wall: float, settle: float
    ) -> tuple[list[DriveEvent], bool]:
        """Fold one look at the folder into the state: the events to report, and whether to look again soon
        (something is still settling). Pure: no I/O, so it is tested with literal snapshots."""
        events: list[DriveEvent] = []
        cur = self.current
        if cur is not None and (cur.name not in found or found[cur.name].signature != cur.signature):
            events.append(DriveEvent("ejected", self.name, str(cur.path)))
            self.current = cur = None
        self.pending = {k: v for k, v in self.pending.items() if k in found}
        names = frozenset(found)
        if len(names) > 1:
            if names != self.conflict:
                self.conflict = names
                shown = ", ".join(repr(n or "VIDEO_TS/BDMV") for n in sorted(names))
                held = (f"; keeping {cur.name or 'VIDEO_TS/BDMV'!r}" if cur
                        else "; no disc inserted until one is removed")
                events.append(DriveEvent("conflict", self.name, message=f"{len(names)} discs in {self.folder}: "
                                                                        f"{shown}{held}"))
            return events, False
        self.conflict = frozenset()
        if cur is not None or not found:
            return events, False
        (cand,) = found.values()
        seen = self.pending.get(cand.name)
        complete = cand.signature[0] >= 0
        if seen is None or seen[0] != cand.signature:
            self.pending[cand.name] = (cand.signature, now)
            # first sight of something last written a while ago: moved in whole, no need to watch it settle
            settled = seen is None and complete and wall - cand.newest_mtime >= settle
        else:
            # a .cue whose .bin stays missing is inserted after a longer wait, so that reading it says what is
            # wrong (on the drive, as `disc_error`) instead of the drive staying empty without a word
            settled = now - seen[1] >= (settle if complete else max(INCOMPLETE_SETTLE_SECONDS, settle))
        if not settled:
            return events, True
        self.pending.pop(cand.name, None)
        self.current = cand
        events.append(DriveEvent("inserted", self.name, str(cand.path), volume_name=None, disc_type=None))
        return events, False


class ImageDriveBackend(DriveBackend):
    """Folders as drives; see the module docstring."""

    name = "image"

    def __init__(
        self,
        folders: Sequence[Path],
        *,
        watch: bool = True,
        poll_interval: float | None = None,
        settle_seconds: float = 0.25,
    ) -> None:
        self._drives: dict[str, DriveFolder] = {}
        for folder in folders:
            folder = Path(folder).expanduser().absolute()
            if folder.name in self._drives:
                raise BackendError(f"two image drives are named {folder.name!r} ({self._drives[folder.name].folder} "
                                   f"and {folder}); drive names must be unique")
            self._drives[folder.name] = DriveFolder(folder)
        self.watch = watch
        self.poll_interval = poll_interval if poll_interval is not None else (5.0 if watch else 0.5)
        self.settle_seconds = settle_seconds
        self._sink: EventSink | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks = {name: asyncio.Lock() for name in self._drives}
        self._stop = asyncio.Event()

    def drives(self) -> list[str]:
        return list(self._drives)

    def folder(self, device: str) -> Path:
        return self._drives[device].folder

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        self._stop.clear()
        for d in self._drives.values():
            await asyncio.to_thread(d.folder.mkdir, parents=True, exist_ok=True)
        for name in self._drives:
            await self.check(name)
        self._spawn(self._poll_loop())
        if self.watch and self._drives:
            self._spawn(self._watch_loop())

    async def stop(self) -> None:
        self._stop.set()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    async def eject(self, device: str) -> None:
        drive = self._drives.get(device)
        if drive is None:
            raise BackendError(f"no image drive named {device!r}")
        async with self._locks[device]:
            cur = drive.current
            if cur is None:
                raise BackendError(f"image drive {device!r} is empty")
            await asyncio.to_thread(_move_out, drive.folder, cur)
        await self.check(device)

    async def check(self, device: str) -> None:
        """Look at one drive folder now and report what changed."""
        drive = self._drives[device]
        async with self._locks[device]:
            found = await asyncio.to_thread(find_discs, drive.folder)
            events, again = drive.apply(found, time.monotonic(), time.time(), self.settle_seconds)
        for ev in events:
            if ev.kind == "conflict":
                log.warning("image drive %s: %s", device, ev.message)
            if self._sink is not None:
                self._sink(ev)
        if again and not self._stop.is_set():
            self._spawn(self._check_later(device, self.settle_seconds))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("image drive watcher failed", exc_info=task.exception())

    async def _check_later(self, device: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.check(device)

    async def _poll_loop(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self.poll_interval)
            for name in self._drives:
                await self.check(name)

    async def _watch_loop(self) -> None:
        folders = {d.folder: name for name, d in self._drives.items()}
        async for changes in watchfiles.awatch(*folders, debounce=30, step=10, stop_event=self._stop,
                                               recursive=True, ignore_permission_denied=True):
            touched = {name for _chg, p in changes for folder, name in folders.items()
                       if Path(p).is_relative_to(folder)}
            for name in touched:
                self._spawn(self.check(name))


def _move_out(folder: Path, cand: Candidate) -> None:
    """Move a disc into `folder/.ejected/` (under a fresh name when one is taken)."""
    dest_root = folder / EJECTED_DIR
    dest_root.mkdir(exist_ok=True)
    if cand.name == "":
        dest_root = dest_root / _free_name(dest_root, folder.name)
        dest_root.mkdir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for member in cand.members:
        if not member.exists():
            continue
        target = dest_root / member.name
        if target.exists():
            target = dest_root / _free_name(dest_root, f"{member.stem}.{stamp}{member.suffix}")
        shutil.move(str(member), str(target))


def _free_name(parent: Path, name: str) -> str:
    candidate, n = name, 1
    while (parent / candidate).exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate
