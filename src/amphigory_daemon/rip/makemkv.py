"""The MakeMKV backend: ``makemkvcon -r --progress=-same mkv <source> <title> <dir>`` into a fresh hidden folder
next to the final name, progress from its PRGV lines, the produced file identified by name (the title's TINFO 27,
"output file name"), then verified, hashed and moved to its final name.

The source is ``iso:PATH`` for an image, ``file:FOLDER`` for a disc folder and ``disc:N`` for a drive, N being
the index MakeMKV gives the drive's device in its DRV lines (``makemkvcon -r info disc:9999``).
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from amphigory_daemon.formats.makemkv import MakemkvDrive, MakemkvError, split_line
from amphigory_daemon.formats.makemkv import RipProgress as RobotProgress
from amphigory_daemon.rip.errors import RipError
from amphigory_daemon.rip.models import RipJob, RipOutcome
from amphigory_daemon.rip.native import raise_for
from amphigory_daemon.rip.output import OutputTarget
from amphigory_daemon.rip.runner import run_tool
from amphigory_daemon.rip.session import ProgressCallback, Reporter, make_watchdog, source_missing
from amphigory_daemon.rip.verify import duration_matches, file_checksum, read_duration
from amphigory_protocol.ffmpeg import ffmpeg_exe

OUTPUT_FILE_ATTR = 27
NO_DISC_QUERY = "disc:9999"


def parse_drives(lines: list[str]) -> tuple[MakemkvDrive, ...]:
    """The DRV lines of ``makemkvcon -r info disc:9999`` output (which lists drives and no titles)."""
    drives: list[MakemkvDrive] = []
    for line in lines:
        if not line.startswith("DRV:"):
            continue
        try:
            _, fields = split_line(line)
        except MakemkvError:
            continue
        if len(fields) >= 7 and fields[0].isdigit() and fields[1].isdigit():
            flags = int(fields[3]) if fields[3].isdigit() else 0
            drives.append(MakemkvDrive(int(fields[0]), int(fields[1]), flags, fields[4], fields[5], fields[6]))
    return tuple(drives)


def output_file_name(line: str, title_index: int) -> str | None:
    """The output file name in a ``TINFO:<title_index>,27,0,"name"`` line; None for any other line."""
    if not line.startswith(f"TINFO:{title_index},{OUTPUT_FILE_ATTR},"):
        return None
    try:
        _, fields = split_line(line)
    except MakemkvError:
        return None
    name = fields[3] if len(fields) > 3 else ""
    return name if name and "/" not in name and name not in (".", "..") else None


def _is_device(path: Path) -> bool:
    try:
        return stat.S_ISBLK(path.stat().st_mode)
    except OSError:
        return False


async def source_spec(job: RipJob, makemkvcon: str) -> str:
    """What to hand makemkvcon: ``iso:``, ``file:`` or ``disc:N`` for the drive holding the disc."""
    device = job.device or (str(job.source) if _is_device(job.source) else None)
    if device is None:
        return f"file:{job.source}" if job.source.is_dir() else f"iso:{job.source}"
    lines: list[str] = []
    try:
        result = await run_tool([makemkvcon, "-r", "info", NO_DISC_QUERY], on_stdout=lines.append)
    except OSError as exc:
        raise RipError("tool_failed", f"cannot run {makemkvcon}: {exc}") from exc
    wanted = {device, device.replace("/dev/disk", "/dev/rdisk"), os.path.realpath(device)}
    drive = next((d for d in parse_drives(lines) if d.device in wanted), None)
    if drive is None:
        raise RipError("invalid_job", f"MakeMKV lists no drive {device}" + ("" if result.ok else " (it failed)"))
    return f"disc:{drive.index}"


def _title_index(job: RipJob) -> int:
    index = job.title.makemkv_title_index
    if index is None:
        index = job.title.source.get("makemkv_title_index")
    if not isinstance(index, int) or index < 0:
        raise RipError("invalid_job", "the title has no MakeMKV title index (scan it with MakeMKV)")
    return index


async def rip_makemkv(job: RipJob, on_progress: ProgressCallback | None, makemkvcon: str) -> RipOutcome:
    """Rip ``job`` with makemkvcon; the same guarantees as the native backend."""
    index = _title_index(job)
    if not (job.source.exists() or job.device):
        raise RipError("disc_ejected", f"{job.source} is not there")
    spec = await source_spec(job, makemkvcon)
    target = OutputTarget.create(job, ".mkv", directory=True)
    reporter = Reporter(on_progress)
    try:
        target.check_space(job.title.size_bytes)
        produced = await _run(job, makemkvcon, spec, index, target.partial, reporter)
        duration, checksum = await asyncio.gather(read_duration(job.ffmpeg or ffmpeg_exe(), produced),
                                                  file_checksum(produced))
        expected = job.title.duration_seconds
        if duration is None or (expected > 0 and not duration_matches(expected, duration)):
            raise RipError("verify_failed", f"MakeMKV's file lasts {duration} s, the title {expected:.3f} s")
        size = produced.stat().st_size
        path = target.publish(produced)
    finally:
        target.discard()
    await reporter.finish()
    return RipOutcome(path=path, size_bytes=size, duration_seconds=duration, checksum=checksum)


async def _run(job: RipJob, makemkvcon: str, spec: str, index: int, folder: Path, reporter: Reporter) -> Path:
    robot = RobotProgress()
    names: list[str] = []

    def on_line(line: str) -> None:
        name = output_file_name(line, index)
        if name is not None:
            names.append(name)
        elif robot.feed(line) is not None:
            reporter.update(fraction=robot.fraction)

    def measure() -> None:
        reporter.update(bytes_written=sum(p.stat().st_size for p in folder.iterdir() if p.is_file()))

    watched = () if spec.startswith("disc:") else (job.source,)
    argv = [makemkvcon, "-r", "--progress=-same", "mkv", spec, str(index), str(folder)]
    try:
        result = await run_tool(argv, on_stdout=on_line, watchdog=make_watchdog(reporter, watched, measure))
    except OSError as exc:
        raise RipError("tool_failed", f"cannot run {makemkvcon}: {exc}") from exc
    if robot.errors and result.stopped_by is None and not source_missing(watched):
        text = "; ".join(m.text for m in robot.errors[-3:])
        raise RipError("disk_full" if "space" in text.lower() else "tool_failed", f"makemkvcon reported: {text}")
    raise_for(result, "makemkvcon", watched)
    return _produced(folder, names)


def _produced(folder: Path, names: list[str]) -> Path:
    """The file MakeMKV made: the one its TINFO 27 named, else the only MKV in the fresh folder."""
    if names:
        path = folder / names[-1]
        if not path.is_file():
            raise RipError("tool_failed", f"makemkvcon said it writes {names[-1]}, but there is no such file")
        return path
    mkvs = [p for p in folder.iterdir() if p.suffix.lower() == ".mkv" and p.is_file()]
    if len(mkvs) != 1:
        raise RipError("tool_failed", f"makemkvcon left {len(mkvs)} MKV files and named none of them")
    return mkvs[0]
