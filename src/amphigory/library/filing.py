"""Filing: a finished rip goes into the library under its Plex/Jellyfin name, as a `file` task the webapp runs.

When a rip completes (`TaskService` rip listener) or a person asks (`POST /api/discs/{fp}/tracks/{n}/file`), the
`Filer` checks that the ripped file is reachable from here (a daemon on another machine without shared storage
writes paths this machine cannot open: then nothing is filed and the track gets a note saying why), then creates a
`file` task and runs it in the background, one at a time:

- without transcoding, the ripped file is hard-linked into the library (no space used, and the daemon's file
  stays where it was: `ripped/` is its record, and the track can be filed again later), or copied when a link is
  not possible (another file system);
- with transcoding, HandBrakeCLI or ffmpeg writes a new file, with progress pushed as task progress.

Everything is first written under a hidden staging folder in the library root (`.amphigory-staging`, same file
system) and then linked to its final name, which never overwrites: a taken name gets ` (2)`. A failure or a cancel
removes the staged file and any folder it created, so nothing half-written is left in the library. Filing a track
again (its name changed) puts it at the new path and removes the old file.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from amphigory.api.disc_repository import DiscRepository, StoredDisc, StoredTrack
from amphigory.library import transcode
from amphigory.library.naming import (
    MEDIA_EXTENSIONS,
    DiscInfo,
    TrackInfo,
    episode_numbers,
    is_safe_relative,
    library_path,
    numbered,
)
from amphigory.library.refile import filing_source, inside, refile_renamed, release_ripped
from amphigory.library.tags import CoverSource, album_artist, tag_for_library
from amphigory.library.transcode import TranscodeError, TranscodeMode
from amphigory.tasks import Task, TaskProblem, TaskService

log = logging.getLogger(__name__)

STAGING = ".amphigory-staging"
_AUDIO = frozenset({".flac", ".wav", ".mka"})
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.EACCES})


class FilingError(Exception):
    """Filing failed for a reason worth telling the person (`code` for programs)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Progress:
    """The latest percent of a running filing, read by the ticker that pushes it to the task."""

    percent: float = 0.0

    def __call__(self, percent: float) -> None:
        self.percent = max(self.percent, percent)


@dataclass
class _Undo:
    """What a filing created, removed again if it fails."""

    files: list[Path] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)

    def run(self) -> None:
        for path in self.files:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for folder in reversed(self.dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty


class Filer:
    """Files ripped tracks into `library_dir` (see the module docstring); the `TaskService`'s `LocalRunner`."""

    cover_for: CoverSource | None = None  # a CD's front cover, for its FLACs' tags (amphigory.library.tags)

    def __init__(
        self, tasks: TaskService, discs: DiscRepository, library_dir: Path, mode: TranscodeMode = "none",
        progress_interval: float = 0.5, keep_ripped: bool = True,
    ) -> None:
        self.tasks = tasks
        self.discs = discs
        self.library_dir = library_dir
        self.mode = mode
        self.progress_interval = progress_interval
        self.keep_ripped = keep_ripped  # False: a rip safely in the library is removed (amphigory.library.refile)
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._one_at_a_time = asyncio.Lock()

    @property
    def staging(self) -> Path:
        return self.library_dir / STAGING

    async def start(self) -> None:
        """Take over filing for the task service; staged files a previous run left behind are removed."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.tasks.add_rip_listener(self.on_ripped)
        self.tasks.local = self

    async def stop(self) -> None:
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job

    # -- entry points ----------------------------------------------------------------------------------------

    async def on_ripped(self, daemon_id: str, drive_id: str, fingerprint: str, number: int) -> dict[str, Any]:
        """A rip completed: file it, or note why not (the rip task's result gets what this returns)."""
        try:
            task = await self.file(fingerprint, number, drive_id)
        except TaskProblem as problem:
            await self.discs.record_library_note(fingerprint, number, problem.message)
            log.info("not filing track %d of %s: %s", number, fingerprint, problem.message)
            return {"skipped": problem.code, "note": problem.message}
        return {"task_id": task.id}

    async def file(self, fingerprint: str, number: int, drive_id: str = "", retry_of: str | None = None) -> Task:
        """Start filing one ripped track (a queued `file` task); `TaskProblem` when it cannot be filed."""
        disc = await self.discs.get(fingerprint)
        track = disc.track(number) if disc is not None else None
        if disc is None or track is None:
            raise TaskProblem("unknown_track", f"no track {number} on disc {fingerprint}")
        source = filing_source(track, self.library_dir)
        params = {"source": str(source), "transcode": self.mode}
        task = await self.tasks.create_local("file", drive_id, fingerprint, number, params, retry_of)
        job = asyncio.ensure_future(self._run(task, source))
        self._jobs[task.id] = job
        job.add_done_callback(lambda _: self._jobs.pop(task.id, None))
        return task

    async def cancel(self, task_id: str) -> None:
        job = self._jobs.get(task_id)
        if job is not None:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job

    async def retry(self, task: Task) -> Task:
        if task.fingerprint is None or task.track_number is None:
            raise TaskProblem("not_retryable", f"task {task.id} names no track")
        return await self.file(task.fingerprint, task.track_number, task.drive_id, retry_of=task.id)

    # -- the work --------------------------------------------------------------------------------------------

    async def _run(self, task: Task, source: Path) -> None:
        async with self._one_at_a_time:
            progress = _Progress()
            await self.tasks.local_progress(task.id, 0)
            ticker = asyncio.ensure_future(self._tick(task.id, progress))
            try:
                result = await self._file(task, source, progress)
            except Exception as exc:
                code, message = _failure(exc)
                assert task.fingerprint is not None and task.track_number is not None
                await self.discs.record_library_note(task.fingerprint, task.track_number, message)
                await self.tasks.local_finish(task.id, "failed", error=message, error_code=code)
                return
            finally:
                ticker.cancel()
            await asyncio.wait([ticker])  # no progress push of the ticker can land after the task's end
            if not self.keep_ripped:
                assert task.fingerprint is not None and task.track_number is not None
                kept = await release_ripped(self.discs, task.fingerprint, task.track_number, source,
                                            Path(result["path"]), result["transcoded"], self.library_dir)
                result["ripped"] = "kept: " + kept if kept else "removed"
            # a rename while this ran: the disc's files follow the new names into its one folder
            for move in await refile_renamed(self.discs, self.library_dir, task.fingerprint or ""):
                if move.number == task.track_number and move.new:
                    result["path"] = move.new
                    result["library_path"] = Path(move.new).relative_to(self.library_dir).as_posix()
            await self.tasks.local_finish(task.id, "complete", result=result)

    async def _tick(self, task_id: str, progress: _Progress) -> None:
        """Push the latest percent every `progress_interval` seconds while the filing runs."""
        while True:
            await asyncio.sleep(self.progress_interval)
            await self.tasks.local_progress(task_id, int(progress.percent))

    async def _file(self, task: Task, source: Path, progress: _Progress) -> dict[str, Any]:
        assert task.fingerprint is not None and task.track_number is not None
        disc = await self.discs.get(task.fingerprint)
        track = disc.track(task.track_number) if disc is not None else None
        if disc is None or track is None:
            raise FilingError("unknown_track", f"track {task.track_number} of {task.fingerprint} is gone")
        scan = await self.discs.scan_result(task.fingerprint)
        relative = relative_path(disc, track, source.suffix, album_artist(disc, scan.artist if scan else None),
                                 _scan_names(scan) if scan else {})
        if not is_safe_relative(relative):  # cannot happen (every part is a safe_name); never trust it blindly
            raise FilingError("unsafe_name", f"refusing library path {relative}")
        undo = _Undo()
        try:
            staged, transcoded, method, notes = await self._stage(task, source, progress, undo)
            await tag_for_library(staged, disc, track, self.cover_for, scan.artist if scan else None)
            current = Path(track.library_path) if track.library_path else None
            final = await asyncio.to_thread(self._place, staged, self.library_dir / relative, current, undo)
        except BaseException:
            await asyncio.to_thread(undo.run)
            raise
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        if current is not None and current != final:
            await asyncio.to_thread(self._remove_old, current)
        note = "; ".join(notes) or None
        await self.discs.record_library(task.fingerprint, task.track_number, library_path=str(final),
                                        transcoded_path=str(final) if transcoded else None, note=note)
        return {"path": str(final), "library_path": final.relative_to(self.library_dir).as_posix(),
                "transcoded": transcoded, "method": method, "notes": notes}

    async def _stage(self, task: Task, source: Path, progress: _Progress,
                     undo: _Undo) -> tuple[Path, bool, str, list[str]]:
        """The file to place, in the staging folder: a link to or copy of the rip, or its transcode."""
        if not self.staging.is_dir():
            self.staging.mkdir(parents=True, exist_ok=True)
        ext = source.suffix.lower()
        if self.mode != "none" and ext not in _AUDIO and not inside(source, self.library_dir):
            staged = self.staging / f"{task.id}.mkv"
            undo.files.append(staged)
            disc = await self.discs.get(task.fingerprint or "")
            track = disc.track(task.track_number or 0) if disc is not None else None
            height = track.video.height if track is not None and track.video is not None else None
            duration = track.duration_seconds if track is not None else None
            job, notes = transcode.commands(self.mode, source, staged, height, duration)
            await transcode.run(job, progress)
            if not staged.is_file() or staged.stat().st_size == 0:
                raise FilingError("transcode_failed", f"{job.description} wrote no output")
            return staged, True, job.description, list(notes)
        staged = self.staging / f"{task.id}{ext}"
        undo.files.append(staged)
        how = await asyncio.to_thread(_link_or_copy, source, staged, progress)
        progress(100.0)
        return staged, False, how, []

    def _place(self, staged: Path, target: Path, current: Path | None, undo: _Undo) -> Path:
        """Link `staged` to `target`, or `target (2)`... (never overwriting), or replace the track's own file."""
        missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        undo.dirs.extend(reversed(missing))
        for n in range(1, 1000):
            candidate = Path(numbered(PurePosixPath(target), n))
            if current is not None and candidate == current:
                os.replace(staged, candidate)  # the track's own earlier file: ours to replace
                return candidate
            try:
                os.link(staged, candidate)
            except FileExistsError:
                continue
            undo.files.append(candidate)
            return candidate
        raise FilingError("name_taken", f"{target} and 998 numbered variants already exist")

    def _remove_old(self, old: Path) -> None:
        """The track's file from an earlier filing (only inside the library), and folders that are left empty."""
        root = self.library_dir.resolve()
        with contextlib.suppress(OSError):
            real = old.resolve()
            if real.is_relative_to(root) and real != root and real.is_file():
                real.unlink()
                for folder in real.parents:
                    if folder == root or not folder.is_relative_to(root):
                        break
                    folder.rmdir()  # stops (OSError) at the first folder that is not empty


def _failure(exc: Exception) -> tuple[str, str]:
    """The task's error code and message for what stopped a filing."""
    if isinstance(exc, FilingError):
        return exc.code, f"filing failed: {exc.message}"
    if isinstance(exc, TranscodeError):
        return "transcode_failed", f"filing failed: {exc}"
    if isinstance(exc, OSError):
        return "io_error", f"filing failed: {exc.strerror or exc} ({exc.filename or 'no file'})"
    log.exception("filing failed")
    return "internal_error", f"filing failed: {type(exc).__name__}: {exc}"


def reachable_source(track: StoredTrack) -> Path:
    """The ripped file, checked from here; `TaskProblem` (`not_ripped`, `not_reachable`, ...) saying why not."""
    if not track.ripped_path:
        raise TaskProblem("not_ripped", f"track {track.number} has not been ripped")
    path = Path(track.ripped_path)
    if not path.is_absolute() or not path.exists():
        raise TaskProblem(
            "not_reachable",
            f"the ripped file {track.ripped_path} is not reachable from the webapp (a daemon on another machine "
            "without shared storage?): the track stays ripped and was not filed into the library",
        )
    if not path.is_file() or path.suffix.lower() not in MEDIA_EXTENSIONS:
        raise TaskProblem("not_media", f"{track.ripped_path} is not a media file the library takes")
    if track.rip_size_bytes is not None and path.stat().st_size != track.rip_size_bytes:
        raise TaskProblem("changed", f"{track.ripped_path} is not the file that was ripped (its size differs)")
    return path


def relative_path(disc: StoredDisc, track: StoredTrack, ext: str, artist: str | None,
                  scan_names: dict[int, str]) -> PurePosixPath:
    """The track's library-relative path, from the stored disc (the person's title, year, names and types)."""
    def info(t: StoredTrack) -> TrackInfo:
        name = t.name or (scan_names.get(t.number) if disc.disc_type == "cd" else None)
        return TrackInfo(t.number, name, t.track_type or t.classification, t.season, t.episode, t.episode_end)

    episodes = episode_numbers(info(t) for t in disc.tracks if t.present or t.number == track.number)
    return library_path(DiscInfo(disc.title, disc.year, disc.disc_type, artist, bool(episodes)), info(track), ext,
                        episodes.get(track.number))


def _scan_names(scan: Any) -> dict[int, str]:
    return {t.number: t.name for t in scan.titles if t.name}


def _link_or_copy(source: Path, target: Path, progress: Callable[[float], None]) -> str:
    """Hard-link `source` to `target`, or copy it (reporting progress) where a link is impossible."""
    try:
        os.link(source, target)
        return "hard link"
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
    total = max(1, source.stat().st_size)
    done = 0
    with source.open("rb") as src, target.open("xb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
            done += len(chunk)
            progress(done * 100.0 / total)
        dst.flush()
        os.fsync(dst.fileno())
    shutil.copystat(source, target)
    return "copy"
