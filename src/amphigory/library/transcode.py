"""Transcoding: HandBrakeCLI with a preset chosen by resolution, or ffmpeg (libx264/libx265 CRF) where HandBrake
is absent, with progress read line by line from the tool's own output.

The command builders and line parsers are pure (tested on captured output); `run` is the one place that starts
the tool: it reads its output as it comes, reports progress (0-100) through a callback, and raises
`TranscodeError` with the tool's last words when it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg

from amphigory.config import TRANSCODE_MODES, TranscodeMode

__all__ = ["TRANSCODE_MODES", "TranscodeError", "TranscodeMode", "Transcoder", "commands", "run"]

# HandBrake's own presets (`HandBrakeCLI --preset-list`), smallest that holds the source's height.
_HANDBRAKE_PRESETS = ((480, "Fast 480p30"), (576, "Fast 576p25"), (720, "Fast 720p30"), (1080, "Fast 1080p30"))
HANDBRAKE_UHD_PRESET = "H.265 MKV 2160p60 4K"
_HANDBRAKE_LINE = re.compile(r"Encoding: task (\d+) of (\d+), (\d+(?:\.\d+)?) %")
_FFMPEG_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$")  # both are microseconds (ffmpeg's historic misnomer)


class TranscodeError(Exception):
    """The tool failed (or could not start); the message says which and how."""


@dataclass
class Transcoder:
    """One transcode: the command line and the parser of its progress lines."""

    tool: str
    args: list[str]
    parse: Callable[[str], float | None]
    description: str = ""
    env: dict[str, str] = field(default_factory=dict)


def handbrake_preset(height: int | None) -> str:
    """The HandBrake preset for a source ``height`` (unknown: 1080p, which never upscales a smaller source)."""
    if height is None:
        return "Fast 1080p30"
    for limit, preset in _HANDBRAKE_PRESETS:
        if height <= limit:
            return preset
    return HANDBRAKE_UHD_PRESET


def parse_handbrake_line(line: str) -> float | None:
    """Overall percent from one HandBrakeCLI progress line (``Encoding: task 1 of 2, 45.10 % (...)``)."""
    match = _HANDBRAKE_LINE.search(line)
    if match is None:
        return None
    task, tasks, percent = int(match.group(1)), int(match.group(2)), float(match.group(3))
    if tasks < 1 or not 1 <= task <= tasks:
        return None
    return min(100.0, ((task - 1) * 100.0 + percent) / tasks)


def ffmpeg_parser(duration_seconds: float | None) -> Callable[[str], float | None]:
    """A parser of ffmpeg's ``-progress`` lines: percent of ``duration_seconds`` done; 100 at ``progress=end``."""

    def parse(line: str) -> float | None:
        line = line.strip()
        if line == "progress=end":
            return 100.0
        match = _FFMPEG_TIME.match(line)
        if match is None or not duration_seconds or duration_seconds <= 0:
            return None
        return max(0.0, min(100.0, int(match.group(1)) / 1e6 / duration_seconds * 100.0))

    return parse


def handbrake(tool: str, source: Path, target: Path, height: int | None) -> Transcoder:
    preset = handbrake_preset(height)
    args = ["-i", str(source), "-o", str(target), "--preset", preset, "--format", "av_mkv", "--all-audio",
            "--all-subtitles", "--markers"]
    return Transcoder(tool, args, parse_handbrake_line, f"HandBrakeCLI preset {preset!r}")


def ffmpeg(tool: str, source: Path, target: Path, height: int | None, duration: float | None) -> Transcoder:
    """Video to H.264 (CRF 20) up to 1080 lines, H.265 (CRF 22) above; audio, subtitles and chapters copied."""
    codec, crf = ("libx265", "22") if height is not None and height > 1080 else ("libx264", "20")
    args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-progress", "pipe:1", "-i", str(source),
            "-map", "0", "-c", "copy", "-c:v", codec, "-crf", crf, "-preset", "veryfast", "-f", "matroska",
            "-y", str(target)]
    return Transcoder(tool, args, ffmpeg_parser(duration), f"ffmpeg {codec} CRF {crf}")


def find_handbrake() -> str | None:
    return shutil.which("HandBrakeCLI")


def find_ffmpeg() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def split_lines(buffer: bytearray) -> list[str]:
    """Take the complete lines (ended by \\n or \\r, as progress lines are) out of ``buffer``."""
    lines: list[str] = []
    start = 0
    for i, byte in enumerate(buffer):
        if byte in (10, 13):
            if i > start:
                lines.append(buffer[start:i].decode("utf-8", "replace"))
            start = i + 1
    del buffer[:start]
    return lines


async def run(job: Transcoder, on_progress: Callable[[float], None]) -> None:
    """Run ``job`` to the end, calling ``on_progress(percent)`` for every progress line; `TranscodeError` on a
    non-zero exit. Cancelling kills the tool."""
    try:
        proc = await asyncio.create_subprocess_exec(
            job.tool, *job.args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        raise TranscodeError(f"could not start {job.tool}: {exc}") from exc
    assert proc.stdout is not None and proc.stderr is not None
    tail: deque[str] = deque(maxlen=12)

    async def read(stream: asyncio.StreamReader) -> None:
        buffer = bytearray()
        while chunk := await stream.read(4096):
            buffer += chunk
            for line in split_lines(buffer):
                percent = job.parse(line)
                if percent is not None:
                    on_progress(percent)
                elif line.strip():
                    tail.append(line.strip())

    try:
        await asyncio.gather(read(proc.stdout), read(proc.stderr))
        code = await proc.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if code != 0:
        said = "; ".join(list(tail)[-3:]) or "no output"
        raise TranscodeError(f"{job.description or job.tool} failed (exit {code}): {said}")


def commands(mode: TranscodeMode, source: Path, target: Path, height: int | None,
             duration: float | None) -> tuple[Transcoder, Sequence[str]]:
    """The transcoder for ``mode`` and notes on it (HandBrakeCLI missing: ffmpeg instead, and a note saying so)."""
    notes: list[str] = []
    if mode == "handbrake":
        tool = find_handbrake()
        if tool is not None:
            return handbrake(tool, source, target, height), notes
        notes.append("HandBrakeCLI is not installed: transcoded with ffmpeg instead")
    return ffmpeg(find_ffmpeg(), source, target, height, duration), notes
