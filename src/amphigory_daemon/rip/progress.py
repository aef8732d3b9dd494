"""Progress: ffmpeg's ``-progress`` output read one line at a time, and a tracker that turns "how far and how
many bytes" into percent, speed and ETA.

ffmpeg writes blocks of ``key=value`` lines (``total_size``, ``out_time_us``, ``speed``...) ending with
``progress=continue`` or ``progress=end``; a block is reported when its ``progress`` line arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from amphigory_daemon.rip.models import RipProgress


class FfmpegProgress(NamedTuple):
    """One ``-progress`` block: output time reached (µs), bytes written, speed factor, and whether it is the last."""

    out_time_us: int | None
    total_size: int | None
    speed: float | None
    done: bool


def _int(value: str) -> int | None:
    value = value.strip()
    if value.lstrip("-").isdigit():
        number = int(value)
        return number if number >= 0 else None
    return None  # "N/A" before the first packet


def _speed(value: str) -> float | None:
    value = value.strip().removesuffix("x")
    try:
        return float(value)
    except ValueError:
        return None


@dataclass
class FfmpegProgressParser:
    """Feed it ffmpeg ``-progress`` lines; it returns an `FfmpegProgress` at the end of every block."""

    _values: dict[str, str] = field(default_factory=dict)

    def feed(self, line: str) -> FfmpegProgress | None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        if key != "progress":
            self._values[key] = value
            return None
        values, self._values = self._values, {}
        out_time = _int(values.get("out_time_us", "")) or _int(values.get("out_time_ms", ""))
        return FfmpegProgress(
            out_time_us=out_time,
            total_size=_int(values.get("total_size", "")),
            speed=_speed(values.get("speed", "")),
            done=value.strip() == "end",
        )


@dataclass
class ProgressTracker:
    """Percent, speed and ETA from (fraction done, bytes written) samples at given times.

    Speed is bytes over the whole elapsed time (steady, and what the bench measures); the ETA extrapolates the
    fraction done. Percent stops at 99.9 until the caller reports the file finished and verified.
    """

    started: float
    fraction: float = 0.0
    bytes_written: int = 0
    _now: float = 0.0

    def update(self, now: float, fraction: float | None = None, bytes_written: int | None = None) -> RipProgress:
        if fraction is not None:
            self.fraction = min(1.0, max(self.fraction, fraction))
        if bytes_written is not None:
            self.bytes_written = max(self.bytes_written, bytes_written)
        self._now = now
        return self.snapshot()

    def snapshot(self, finished: bool = False) -> RipProgress:
        elapsed = max(self._now - self.started, 1e-6)
        speed = self.bytes_written / elapsed
        eta: float | None = None
        if finished:
            eta = 0.0
        elif self.fraction > 0:
            eta = max(0.0, elapsed * (1.0 - self.fraction) / self.fraction)
        percent = 100.0 if finished else min(99.9, round(self.fraction * 100.0, 2))
        return RipProgress(percent=percent, bytes_written=self.bytes_written, speed_bps=speed, eta_seconds=eta)
