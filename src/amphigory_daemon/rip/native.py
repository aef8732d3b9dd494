"""The native backend: DVD titles and Blu-ray playlists remuxed to MKV and CD tracks encoded to FLAC by ffmpeg,
straight from an image, a disc folder, a cue/bin or (CD, via cd-paranoia) a drive, with progress, verification
and a checksum.

A DVD title needs nothing more than this module imports; the Blu-ray readers (`rip.bluray`) and the CD code
(`rip.cd`, `rip.grab`) are imported by the jobs that need them, so a DVD rip's process never loads them.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob, RipOutcome
from amphigory_daemon.rip.output import OutputTarget
from amphigory_daemon.rip.plans import Plan, dvd_plan, ffmpeg_argv
from amphigory_daemon.rip.progress import FfmpegProgressParser
from amphigory_daemon.rip.runner import ToolResult, run_tool
from amphigory_daemon.rip.session import (
    DISC_EJECTED,
    ProgressCallback,
    Reporter,
    classify_failure,
    make_watchdog,
    source_missing,
)
from amphigory_daemon.rip.verify import duration_matches, file_checksum, read_duration
from amphigory_protocol.ffmpeg import ffmpeg_exe

if TYPE_CHECKING:
    from amphigory_daemon.rip.cd import CdTrack

def _int(value: object, default: int | None = None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def plan_for(job: RipJob, tmp: Path) -> Plan:
    """The ffmpeg run for ``job``'s DVD or Blu-ray title, from its ``source`` description; `RipError`
    ``invalid_job`` when the title does not say where it lives in a way this backend can read."""
    where = job.title.source
    kind = where.get("kind") or job.disc_type
    if kind == "dvd":
        number = _int(where.get("title"), job.title.number) or job.title.number
        return dvd_plan(job.source, number, job.title.duration_seconds, _int(where.get("angle")))
    if kind in ("bluray", "uhd"):
        from amphigory_daemon.rip.bluray import bluray_title_plan

        return bluray_title_plan(job, where.get("playlist"), tmp)
    raise RipError("invalid_job", f"the native ripper cannot read a title whose source is {where!r}")


def _is_cd(job: RipJob) -> bool:
    return (job.title.source.get("kind") or job.disc_type) == "cd"


async def rip_native(job: RipJob, on_progress: ProgressCallback | None) -> RipOutcome:
    """Rip ``job`` with ffmpeg (and cd-paranoia for a CD in a drive); see the package docstring for the
    guarantees."""
    ffmpeg = job.ffmpeg or ffmpeg_exe()  # imageio-ffmpeg's ffmpeg 9: the dvdvideo demuxer and the bluray protocol
    job = replace(job, source=job.source.absolute())  # ffmpeg reads helper lists from elsewhere
    if not job.source.exists():
        raise RipError("disc_ejected", f"{job.source} is not there")
    with tempfile.TemporaryDirectory(prefix="amphigory-rip-") as tmp_name:
        tmp = Path(tmp_name)
        track: CdTrack | None = None
        from_drive = False
        if _is_cd(job):
            from amphigory_daemon.rip import cd

            from_drive = cd.is_drive(job.source)
            track = cd.drive_track(job, tmp / "track.pcm") if from_drive else cd.read_track(job)
            plan = cd.track_plan(track, tmp)
        else:
            plan = plan_for(job, tmp)
        for name, text in plan.files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        target = OutputTarget.create(job, plan.ext)
        reporter = Reporter(on_progress)
        try:
            target.check_space(job.title.size_bytes)
            encode_from = 0.0
            if from_drive and track is not None:
                from amphigory_daemon.rip.grab import GRAB_SHARE, read_cd_track

                await read_cd_track(job, track, reporter)
                encode_from = GRAB_SHARE
            await _run_ffmpeg(ffmpeg, plan, target.partial, reporter, encode_from)
            # the duration (read from the MKV's head, else probed by ffmpeg) and the checksum (worker threads) overlap
            checked = asyncio.gather(_verify(ffmpeg, plan, track, target.partial), file_checksum(target.partial))
            duration, checksum = await checked
            size = target.partial.stat().st_size
            path = target.publish()
        except BaseException:
            target.discard()
            raise
    await reporter.finish()
    return RipOutcome(path=path, size_bytes=size, duration_seconds=duration, checksum=checksum)


async def _run_ffmpeg(ffmpeg: str, plan: Plan, output: Path, reporter: Reporter, start: float = 0.0) -> None:
    """Run ``plan``; its progress fills the part of the rip from ``start`` (a fraction) to the end."""
    parser = FfmpegProgressParser()
    total_us = plan.expected_duration * 1e6

    def on_line(line: str) -> None:
        block = parser.feed(line)
        if block is None:
            return
        fraction = block.out_time_us / total_us if block.out_time_us is not None and total_us > 0 else None
        reporter.update(None if fraction is None else start + (1.0 - start) * fraction, block.total_size)

    watchdog = make_watchdog(reporter, plan.watch)
    try:
        result = await run_tool(ffmpeg_argv(ffmpeg, plan, output), on_stdout=on_line, watchdog=watchdog)
    except OSError as exc:
        raise RipError("tool_failed", f"cannot run {ffmpeg}: {exc}") from exc
    raise_for(result, "ffmpeg", plan.watch)


def raise_for(result: ToolResult, program: str, watched: tuple[Path, ...]) -> None:
    """Turn a tool's unsuccessful end into the right `RipError` (none when it succeeded)."""
    if result.stopped_by == DISC_EJECTED or (not result.ok and source_missing(watched)):
        raise RipError("disc_ejected", f"the disc went away while ripping ({program} stopped)")
    if result.ok:
        return
    if classify_failure(result.stderr_tail) == "disk_full":
        raise RipError("disk_full", result.describe(program))
    raise RipError("tool_failed", result.describe(program))


async def _verify(ffmpeg: str, plan: Plan, track: CdTrack | None, output: Path) -> float:
    if track is not None:
        from amphigory_daemon.rip.cd import verify_flac

        return await verify_flac(track, output)
    duration = await read_duration(ffmpeg, output)
    if duration is None:
        raise RipError("verify_failed", f"ffmpeg cannot read a duration from {output.name}")
    if plan.expected_duration > 0 and not duration_matches(plan.expected_duration, duration):
        raise RipError("verify_failed", f"the rip lasts {duration:.3f} s, the title {plan.expected_duration:.3f} s")
    return duration
