"""Transcoding: HandBrakeCLI with a preset (chosen by source, named, or an exported JSON preset), or ffmpeg where
HandBrake is absent, with progress (percent, fps, ETA) read line by line from the tool's own output.

The command builders and line parsers are pure (tested on captured output); `run` (asyncio, the webapp's tests
and old callers) and `run_blocking` (a worker's thread) are the two places that start the tool: they read its
output as it comes, report progress through a callback, kill it when asked to stop, and raise `TranscodeError`
with the tool's last words when it fails. The tool gets `DIE_WITH_US`: it never outlives whoever started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from amphigory_protocol.children import DIE_WITH_US
from amphigory_protocol.disk_full import DISK_FULL, says_disk_full
from amphigory_protocol.ffmpeg import ffmpeg_exe

TranscodeMode = Literal["none", "handbrake", "ffmpeg"]
TRANSCODE_MODES: tuple[TranscodeMode, ...] = ("none", "handbrake", "ffmpeg")
AUTO_PRESET = "auto"

__all__ = ["AUTO_PRESET", "TRANSCODE_MODES", "Progress", "Recipe", "TranscodeError", "TranscodeMode", "Transcoder",
           "commands", "run", "run_blocking"]

# HandBrake's own presets (`HandBrakeCLI --preset-list`) by source: DVD (480/576 lines), Blu-ray (up to 1080),
# UHD (above: H.265 10-bit, which keeps HDR10's colour information).
_HANDBRAKE_PRESETS = ((480, "Fast 480p30"), (576, "Fast 576p25"), (720, "Fast 720p30"), (1080, "Fast 1080p30"))
HANDBRAKE_UHD_PRESET = "H.265 MKV 2160p60 4K"
_HANDBRAKE_LINE = re.compile(
    r"Encoding: task (\d+) of (\d+), (\d+(?:\.\d+)?) %(?: \((\d+(?:\.\d+)?) fps, avg (\d+(?:\.\d+)?) fps, "
    r"ETA (\d+)h(\d+)m(\d+)s\))?")
_FFMPEG_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$")  # both are microseconds (ffmpeg's historic misnomer)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_PROGRESS_KEY = re.compile(r"^\w+=\S*$")  # ffmpeg's other -progress lines (speed=1.5x): not its last words


class TranscodeError(Exception):
    """The tool failed (or could not start); the message says which and how, `code` is the task's error code
    (`disk_full` when the tool ran out of space, so a person knows to free some and retry)."""

    def __init__(self, message: str, code: str = "transcode_failed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Progress:
    """How far a transcode is: percent done, frames per second and seconds left, when the tool says."""

    percent: float
    fps: float | None = None
    eta_seconds: float | None = None


ProgressParser = Callable[[str], Progress | None]


@dataclass
class Transcoder:
    """One transcode: the command line and the parser of its progress lines."""

    tool: str
    args: list[str]
    parse: ProgressParser
    description: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    """What a person chose: the preset (`auto`: by source; a HandBrake preset name; or the name of an exported
    JSON preset, whose text is `preset_json`) and the audio/subtitle languages kept (ISO 639-2; empty: all)."""

    preset: str = AUTO_PRESET
    preset_json: str | None = None
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        bad = [code for code in self.languages if not _LANGUAGE.match(code)]
        if bad:
            raise ValueError(f"not ISO 639 language codes: {bad}")


def handbrake_preset(height: int | None) -> str:
    """The HandBrake preset for a source ``height`` (unknown: 1080p, which never upscales a smaller source)."""
    if height is None:
        return "Fast 1080p30"
    for limit, preset in _HANDBRAKE_PRESETS:
        if height <= limit:
            return preset
    return HANDBRAKE_UHD_PRESET


def _eta(hours: str | None, minutes: str | None, seconds: str | None) -> float | None:
    if hours is None or minutes is None or seconds is None:
        return None
    return int(hours) * 3600.0 + int(minutes) * 60.0 + int(seconds)


def parse_handbrake_progress(line: str) -> Progress | None:
    """Overall progress from one HandBrakeCLI line (``Encoding: task 1 of 2, 45.10 % (30.1 fps, avg ...)``)."""
    match = _HANDBRAKE_LINE.search(line)
    if match is None:
        return None
    task, tasks, percent = int(match.group(1)), int(match.group(2)), float(match.group(3))
    if tasks < 1 or not 1 <= task <= tasks:
        return None
    overall = min(100.0, ((task - 1) * 100.0 + percent) / tasks)
    fps = float(match.group(4)) if match.group(4) else None
    return Progress(overall, fps, _eta(match.group(6), match.group(7), match.group(8)))


def parse_handbrake_line(line: str) -> float | None:
    """Overall percent from one HandBrakeCLI progress line (kept for callers that want only the percent)."""
    progress = parse_handbrake_progress(line)
    return progress.percent if progress is not None else None


def ffmpeg_parser(duration_seconds: float | None) -> ProgressParser:
    """A parser of ffmpeg's ``-progress`` lines: percent of ``duration_seconds`` done (100 at ``progress=end``),
    with the latest ``fps=`` and an ETA from ``speed=``."""
    state: dict[str, float] = {}

    def parse(line: str) -> Progress | None:
        line = line.strip()
        if line == "progress=end":
            return Progress(100.0, state.get("fps"), 0.0)
        key, _, value = line.partition("=")
        if key in ("fps", "speed"):
            with contextlib.suppress(ValueError):
                state[key] = float(value.rstrip("x"))
            return None
        match = _FFMPEG_TIME.match(line)
        if match is None or not duration_seconds or duration_seconds <= 0:
            return None
        done = int(match.group(1)) / 1e6
        percent = max(0.0, min(100.0, done / duration_seconds * 100.0))
        speed = state.get("speed")
        eta = max(0.0, duration_seconds - done) / speed if speed else None
        return Progress(percent, state.get("fps") or None, eta)

    return parse


def _handbrake_tracks(languages: Sequence[str]) -> list[str]:
    if not languages:
        return ["--all-audio", "--all-subtitles"]
    listed = ",".join(languages)
    return ["--audio-lang-list", listed, "--all-audio", "--subtitle-lang-list", listed, "--all-subtitles"]


def handbrake(tool: str, source: Path, target: Path, height: int | None, recipe: Recipe = Recipe(),
              preset_file: Path | None = None) -> Transcoder:
    """HandBrakeCLI with the recipe's preset (by source when `auto`), chapters (markers) and the tracks kept."""
    preset = handbrake_preset(height) if recipe.preset == AUTO_PRESET else recipe.preset
    args = ["-i", str(source), "-o", str(target)]
    if preset_file is not None:
        args += ["--preset-import-file", str(preset_file)]
    args += ["--preset", preset, "--format", "av_mkv", *_handbrake_tracks(recipe.languages), "--markers"]
    return Transcoder(tool, args, parse_handbrake_progress, f"HandBrakeCLI preset {preset!r}")


def _ffmpeg_maps(languages: Sequence[str]) -> list[str]:
    if not languages:
        return ["-map", "0"]
    maps = ["-map", "0:v"]
    for kind in ("a", "s"):
        for code in languages:
            maps += ["-map", f"0:{kind}:m:language:{code}?"]  # `?`: a language the file lacks is no error
    return maps


def ffmpeg(tool: str, source: Path, target: Path, height: int | None, duration: float | None,
           recipe: Recipe = Recipe()) -> Transcoder:
    """Video to H.264 (CRF 20) up to 1080 lines, 10-bit H.265 (CRF 22, HDR10 colour kept) above; audio and
    subtitles (those of the recipe's languages) and chapters copied."""
    uhd = height is not None and height > 1080
    codec, crf = ("libx265", "22") if uhd else ("libx264", "20")
    video = ["-c:v", codec, "-crf", crf, "-preset", "veryfast"]
    if uhd:
        video += ["-pix_fmt", "yuv420p10le", "-x265-params", "hdr10-opt=1:repeat-headers=1:log-level=error"]
    args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-progress", "pipe:1", "-i", str(source),
            *_ffmpeg_maps(recipe.languages), "-map_chapters", "0", "-c", "copy", *video, "-f", "matroska",
            "-y", str(target)]
    return Transcoder(tool, args, ffmpeg_parser(duration), f"ffmpeg {codec} CRF {crf}")


def find_handbrake() -> str | None:
    return shutil.which("HandBrakeCLI")


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


def _failed(job: Transcoder, code: int, tail: deque[str]) -> TranscodeError:
    said = "; ".join(list(tail)[-3:]) or "no output"
    name = job.description or job.tool
    if says_disk_full(tail):
        return TranscodeError(f"{name} ran out of disk space (exit {code}): {said}", DISK_FULL)
    if code < 0:  # killed (by a person, the OOM killer, a shutdown): say so, a retry may well succeed
        try:
            signal_name = signal.Signals(-code).name
        except ValueError:
            signal_name = f"signal {-code}"
        return TranscodeError(f"{name} was killed by {signal_name}: {said}")
    return TranscodeError(f"{name} failed (exit {code}): {said}")


async def run(job: Transcoder, on_progress: Callable[[float], None]) -> None:
    """Run ``job`` to the end, calling ``on_progress(percent)`` for every progress line; `TranscodeError` on a
    non-zero exit. Cancelling kills the tool."""
    try:
        proc = await asyncio.create_subprocess_exec(
            job.tool, *job.args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, preexec_fn=DIE_WITH_US)
    except OSError as exc:
        raise TranscodeError(f"could not start {job.tool}: {exc}") from exc
    assert proc.stdout is not None and proc.stderr is not None
    tail: deque[str] = deque(maxlen=12)

    async def read(stream: asyncio.StreamReader) -> None:
        buffer = bytearray()
        while chunk := await stream.read(4096):
            buffer += chunk
            for line in split_lines(buffer):
                progress = job.parse(line)
                if progress is not None:
                    on_progress(progress.percent)
                elif line.strip() and not _PROGRESS_KEY.match(line.strip()):
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
        raise _failed(job, code, tail)


class Stopped(Exception):
    """`run_blocking` killed the tool because it was asked to stop (the job was cancelled or lost its lease)."""


def run_blocking(job: Transcoder, on_progress: Callable[[Progress], None], stop: threading.Event) -> None:
    """Run ``job`` in this thread to its end, reporting every progress line; kill it (`Stopped`) once ``stop`` is
    set; `TranscodeError` on a non-zero exit. Call it from a thread that lives as long as the job (DIE_WITH_US)."""
    try:
        proc = subprocess.Popen([job.tool, *job.args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, preexec_fn=DIE_WITH_US)
    except OSError as exc:
        raise TranscodeError(f"could not start {job.tool}: {exc}") from exc
    assert proc.stdout is not None
    tail: deque[str] = deque(maxlen=12)
    watcher = threading.Thread(target=_kill_on_stop, args=(proc, stop), daemon=True)
    watcher.start()
    try:
        buffer = bytearray()
        while chunk := os.read(proc.stdout.fileno(), 65536):
            buffer += chunk
            for line in split_lines(buffer):
                progress = job.parse(line)
                if progress is not None:
                    on_progress(progress)
                elif line.strip() and not _PROGRESS_KEY.match(line.strip()):
                    tail.append(line.strip())
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if stop.is_set():
        raise Stopped("stopped")
    if code != 0:
        raise _failed(job, code, tail)


def _kill_on_stop(proc: subprocess.Popen[bytes], stop: threading.Event) -> None:
    while proc.poll() is None:
        if stop.wait(0.1):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            return


def commands(mode: TranscodeMode, source: Path, target: Path, height: int | None, duration: float | None,
             recipe: Recipe = Recipe(), preset_file: Path | None = None) -> tuple[Transcoder, Sequence[str]]:
    """The transcoder for ``mode`` and notes on it (HandBrakeCLI missing: ffmpeg instead, and a note saying so)."""
    notes: list[str] = []
    if mode == "handbrake":
        tool = find_handbrake()
        if tool is not None:
            return handbrake(tool, source, target, height, recipe, preset_file), notes
        notes.append("HandBrakeCLI is not installed: transcoded with ffmpeg instead"
                     + ("" if recipe.preset == AUTO_PRESET else f" (preset {recipe.preset!r} needs HandBrake)"))
    return ffmpeg(ffmpeg_exe(), source, target, height, duration, recipe), notes
