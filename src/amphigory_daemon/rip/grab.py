"""Reading a CD track from a drive with cd-paranoia into the rip's temporary folder, with its progress reported
and its read errors turned into a `RipError` (``read_error``) rather than a FLAC of damaged audio."""

from __future__ import annotations

from amphigory_daemon.rip.cd import CdTrack
from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob
from amphigory_daemon.rip.paranoia import BYTES_PER_SECTOR, ParanoiaProgress, paranoia_argv
from amphigory_daemon.rip.programs import find_paranoia
from amphigory_daemon.rip.runner import run_tool
from amphigory_daemon.rip.session import DISC_EJECTED, Reporter, make_watchdog, source_missing

# The share of the rip's percent the drive read takes (the FLAC encode after it takes the rest).
GRAB_SHARE = 0.9


async def read_cd_track(job: RipJob, track: CdTrack, reporter: Reporter) -> None:
    """Read ``track`` of the CD in ``job.source`` into its one range's path; `RipError` when it cannot be read
    exactly (``read_error``), the disc goes away (``disc_ejected``) or cd-paranoia fails (``tool_failed``)."""
    program = find_paranoia()
    if program is None:
        raise RipError("invalid_job", "ripping a CD from a drive needs cd-paranoia (apt-get install cd-paranoia)")
    (target,) = track.ranges
    progress = ParanoiaProgress()

    def on_line(line: str) -> None:
        if progress.feed(line):
            fraction = progress.fraction
            reporter.update(None if fraction is None else fraction * GRAB_SHARE,
                            progress.sectors_done * BYTES_PER_SECTOR)

    argv = paranoia_argv(program, str(job.source), track.number, target.path)
    try:
        result = await run_tool(argv, on_stderr=on_line, watchdog=make_watchdog(reporter, (job.source,)))
    except OSError as exc:
        raise RipError("tool_failed", f"cannot run {program}: {exc}") from exc
    if result.stopped_by == DISC_EJECTED or (not result.ok and source_missing((job.source,))):
        raise RipError("disc_ejected", "the disc went away while ripping (cd-paranoia stopped)")
    problem = progress.problem()
    if problem is not None:
        raise RipError("read_error", f"track {track.number}: {problem}")
    if not result.ok:
        raise RipError("tool_failed", result.describe("cd-paranoia"))
    size = target.path.stat().st_size if target.path.exists() else 0
    if size != target.end:
        raise RipError("read_error", f"cd-paranoia read {size} bytes of track {track.number}, not {target.end}")
