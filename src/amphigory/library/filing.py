"""Filing: a finished rip goes into the library under its Plex/Jellyfin name, as a `file` task run as a job.

When a rip completes (`TaskService` rip listener) or a person asks (`POST /api/discs/{fp}/tracks/{n}/file`), the
`Filer` checks that the ripped file is reachable from here (a daemon on another machine without shared storage
writes paths this machine cannot open: then nothing is filed and the track gets a note saying why), then creates a
`file` task and submits it to the job queue (`amphigory.jobs`). A worker (local or elsewhere) takes it:

- without transcoding the worker has nothing to do and says so; the ripped file is hard-linked into the library
  (no space used, and the daemon's file stays where it was: `ripped/` is its record, and the track can be filed
  again later), or copied when a link is not possible (another file system);
- with transcoding, the worker runs HandBrakeCLI or ffmpeg (reading the rip directly or streaming it from here),
  reports progress, and uploads its result into the staging folder.

Only this process writes the library (`place`): everything is first under a hidden staging folder in the library
root (`.amphigory-staging`, same file system) and then linked to its final name, which never overwrites: a taken
name gets ` (2)`. A failure or a cancel removes the staged file and any folder it created, so nothing half-written
is left in the library; staging files of a filing that died with the webapp are swept when it starts. Filing a
track again (its name changed) puts it at the new path and removes the old file.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from amphigory.api.disc_repository import DiscRepository, StoredDisc, StoredTrack
from amphigory.handsfree.hold import ensure_named
from amphigory.jobs.service import JobService
from amphigory.library.naming import (
    MEDIA_EXTENSIONS,
    DiscInfo,
    Episode,
    TrackInfo,
    episode_numbers,
    is_safe_relative,
    library_path,
    numbered,
)
from amphigory.library.refile import filing_source, inside, refile_renamed, release_ripped
from amphigory.library.tags import CoverSource, album_artist, tag_for_library
from amphigory.tasks import Task, TaskProblem, TaskService
from amphigory_protocol.disk_full import DISK_FULL, is_disk_full
from amphigory_worker.transcode import Recipe, TranscodeError, TranscodeMode

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
    """The latest percent of a copy, pushed to the task by `place`."""

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
    """Files ripped tracks into `library_dir` (see the module docstring); the `TaskService`'s `LocalRunner` and the
    `JobService`'s `Placer`."""

    cover_for: CoverSource | None = None  # a CD's front cover, for its FLACs' tags (amphigory.library.tags)

    def __init__(
        self, tasks: TaskService, discs: DiscRepository, library_dir: Path, mode: TranscodeMode = "none",
        progress_interval: float = 0.5, jobs: JobService | None = None, recipe: Callable[[], Recipe] = Recipe,
        keep_ripped: bool = True,
    ) -> None:
        self.tasks = tasks
        self.discs = discs
        self.library_dir = library_dir
        self.mode = mode
        self.recipe = recipe  # read at each filing: a preset dropped into the presets folder applies at once
        # How often a worker reports (its heartbeat); tests make it short.
        self.progress_interval = progress_interval
        self.keep_ripped = keep_ripped  # False: a rip safely in the library is removed (amphigory.library.refile)
        self.jobs = jobs
        self._placing = asyncio.Lock()

    @property
    def staging(self) -> Path:
        return self.library_dir / STAGING

    async def start(self) -> None:
        """Take over filing for the task service; staged files a previous run left behind are removed."""
        await asyncio.to_thread(sweep_staging, self.staging)
        self.tasks.add_rip_listener(self.on_ripped)
        self.tasks.local = self
        if self.jobs is not None:
            await self.jobs.start(self)

    async def stop(self) -> None:
        if self.jobs is not None:
            await self.jobs.stop()

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
        """Start filing one ripped track (a queued `file` task, its job on the queue); `TaskProblem` when it
        cannot be filed."""
        disc = await self.discs.get(fingerprint)
        track = disc.track(number) if disc is not None else None
        if disc is None or track is None:
            raise TaskProblem("unknown_track", f"no track {number} on disc {fingerprint}")
        ensure_named(disc)  # never filed under a guessed name: held in ripped/ until a person names it
        if self.jobs is None:
            raise TaskProblem("no_queue", "this webapp has no job queue to file with")
        if retry_of is None and (running := await self._filing_of(fingerprint, number)) is not None:
            return running  # one filing of a track at a time: a second would race the first for its rip
        source = filing_source(track, self.library_dir)
        params = {"source": str(source), "transcode": self.mode}
        task = await self.tasks.create_local("file", drive_id, fingerprint, number, params, retry_of)
        # audio is never transcoded, nor a source that is the library's own copy (the rip was released)
        mode = self.mode if source.suffix.lower() not in _AUDIO and not inside(source, self.library_dir) else "none"
        spec = {"kind": "file", "transcode": mode, "recipe": asdict(self.recipe()),
                "source": {"path": str(source), "size": source.stat().st_size, "suffix": source.suffix.lower()},
                "height": track.video.height if track.video is not None else None,
                "duration": track.duration_seconds, "output_suffix": ".mkv"}
        await self.jobs.submit(task, spec)
        return task

    async def _filing_of(self, fingerprint: str, number: int) -> Task | None:
        """The track's unfinished filing, if there is one."""
        for status in ("queued", "running"):
            for task in await self.tasks.list_tasks(status=status, fingerprint=fingerprint, limit=1000):
                if task.type == "file" and task.track_number == number:
                    return task
        return None

    async def cancel(self, task_id: str) -> None:
        if self.jobs is not None:
            await self.jobs.cancel(task_id)

    async def retry(self, task: Task) -> Task:
        if task.fingerprint is None or task.track_number is None:
            raise TaskProblem("not_retryable", f"task {task.id} names no track")
        return await self.file(task.fingerprint, task.track_number, task.drive_id, retry_of=task.id)

    # -- the library's side of a job ---------------------------------------------------------------------------

    async def give_up(self, task: Task, code: str, message: str) -> None:
        """The job failed: the track notes why and the task fails."""
        assert task.fingerprint is not None and task.track_number is not None
        text = message if message.startswith("filing failed") else f"filing failed: {message}"
        await self.discs.record_library_note(task.fingerprint, task.track_number, text)
        await self.tasks.local_finish(task.id, "failed", error=text, error_code=code)

    async def place(self, task: Task, staged: Path | None, transcoded: bool, method: str,
                    notes: list[str]) -> dict[str, Any]:
        """File a job's result: `staged` (a worker's transcode, in the staging folder) or, with None, the rip
        itself; the task's result. A failure is noted on the track, fails the task, and is raised."""
        try:
            async with self._placing:
                result = await self._file(task, staged, transcoded, method, notes)
            if not self.keep_ripped:
                assert task.fingerprint is not None and task.track_number is not None
                kept = await release_ripped(self.discs, task.fingerprint, task.track_number,
                                            Path(str(task.params["source"])), Path(result["path"]),
                                            result["transcoded"], self.library_dir)
                result["ripped"] = "kept: " + kept if kept else "removed"
            # a rename while this ran: the disc's files follow the new names into its one folder
            for move in await refile_renamed(self.discs, self.library_dir, task.fingerprint or ""):
                if move.number == task.track_number and move.new:
                    result["path"] = move.new
                    result["library_path"] = Path(move.new).relative_to(self.library_dir).as_posix()
            return result
        except Exception as exc:
            code, message = _failure(exc)
            await self.give_up(task, code, message)
            raise

    async def _file(self, task: Task, given: Path | None, transcoded: bool, method: str,
                    notes: list[str]) -> dict[str, Any]:
        assert task.fingerprint is not None and task.track_number is not None
        disc = await self.discs.get(task.fingerprint)
        track = disc.track(task.track_number) if disc is not None else None
        if disc is None or track is None:
            raise FilingError("unknown_track", f"track {task.track_number} of {task.fingerprint} is gone")
        source = Path(str(task.params["source"]))
        scan = await self.discs.scan_result(task.fingerprint)
        suffix = ".mkv" if transcoded else source.suffix
        relative = relative_path(disc, track, suffix, album_artist(disc, scan.artist if scan else None),
                                 _scan_names(scan) if scan else {})
        if not is_safe_relative(relative):  # cannot happen (every part is a safe_name); never trust it blindly
            raise FilingError("unsafe_name", f"refusing library path {relative}")
        undo = _Undo()
        try:
            if given is None:
                staged = self.staging / f"{task.id}{source.suffix.lower()}"
                await asyncio.to_thread(self.staging.mkdir, parents=True, exist_ok=True)
                undo.files.append(staged)
                method = await asyncio.to_thread(_link_or_copy, source, staged, _Progress())
            else:
                staged = given
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
        return exc.code, f"filing failed: {exc}"
    if is_disk_full(exc):
        return DISK_FULL, f"filing failed: the library's disk is full ({exc.strerror}: {exc.filename or 'no file'})"
    if isinstance(exc, OSError):
        return "io_error", f"filing failed: {exc.strerror or exc} ({exc.filename or 'no file'})"
    log.exception("filing failed")
    return "internal_error", f"filing failed: {type(exc).__name__}: {exc}"


def sweep_staging(staging: Path) -> None:
    """Remove what filings (and uploads) that died with an earlier run left in the staging folder."""
    if staging.is_dir():
        for leftover in staging.iterdir():
            log.info("removing %s, left by a filing that did not finish", leftover.name)
        shutil.rmtree(staging, ignore_errors=True)


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
                  scan_names: dict[int, str], episodes: dict[int, Episode] | None = None) -> PurePosixPath:
    """The track's library-relative path, from the stored disc (the person's title, year, names and types).
    `episodes`: the disc's episode numbering (`disc_episodes`), when the caller places many tracks of one disc."""
    if episodes is None:
        episodes = disc_episodes(disc, scan_names, also=track.number)
    return library_path(DiscInfo(disc.title, disc.year, disc.disc_type, artist, bool(episodes)),
                        _track_info(disc, track, scan_names), ext, episodes.get(track.number))


def disc_episodes(disc: StoredDisc, scan_names: dict[int, str], also: int | None = None) -> dict[int, Episode]:
    """Season and episode of every episode among the disc's present tracks (and track `also`, present or not):
    computed once per disc, as each track's number can depend on the others'."""
    return episode_numbers(_track_info(disc, t, scan_names) for t in disc.tracks if t.present or t.number == also)


def _track_info(disc: StoredDisc, track: StoredTrack, scan_names: dict[int, str]) -> TrackInfo:
    name = track.name or (scan_names.get(track.number) if disc.disc_type == "cd" else None)
    return TrackInfo(track.number, name, track.track_type or track.classification, track.season, track.episode,
                     track.episode_end)


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
