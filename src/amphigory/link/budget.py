"""A connection's budget of frames and bytes per second: a token bucket for each, refilled with time.

A connection over its budget is not closed: the webapp stops reading from it until the frame fits, so TCP pushes
back on the sender and a flood from one peer never takes the event loop from the others. `delay` is pure (the
clock is injected); `spend` does the waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FRAMES_PER_SECOND = 200.0  # a daemon reports progress at a few Hz per drive; a browser sends nearly nothing
FRAME_BURST = 400.0  # a reconnecting daemon replays its outbox at once
BYTES_PER_SECOND = 4.0 * 1024 * 1024
BYTE_BURST = 8.0 * 1024 * 1024


@dataclass
class Bucket:
    """Tokens refilled at `rate` per second up to `burst`; spending may go below zero (that is the debt)."""

    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float | None = None  # None: not used yet (full)

    def spend(self, amount: float, now: float) -> float:
        """Spend `amount`; the seconds until the bucket is out of debt again (0 when it never was)."""
        if self.stamp is None:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= amount
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class FrameBudget:
    """One connection's budget: frames and bytes per second."""

    frames: Bucket = field(default_factory=lambda: Bucket(FRAMES_PER_SECOND, FRAME_BURST))
    data: Bucket = field(default_factory=lambda: Bucket(BYTES_PER_SECOND, BYTE_BURST))
    clock: Callable[[], float] = time.monotonic
    throttled: int = 0  # frames that had to wait

    def delay(self, size: int) -> float:
        """Account for one frame of `size` bytes; the seconds to wait before reading on."""
        now = self.clock()
        wait = max(self.frames.spend(1, now), self.data.spend(size, now))
        if wait > 0:
            self.throttled += 1
        return wait

    async def spend(self, size: int) -> None:
        wait = self.delay(size)
        if wait > 0:
            await asyncio.sleep(wait)
