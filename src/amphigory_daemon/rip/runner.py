"""The one place a rip starts a program: run it, hand its stdout over line by line, keep its last stderr lines,
poll a watchdog, and kill it (its whole process group) when the rip is cancelled or the watchdog says stop.

Cancellation is cancelling the asyncio task: the child gets SIGKILL at once, is reaped, and `CancelledError`
propagates, all well within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

from amphigory_protocol.children import DIE_WITH_US

POLL_SECONDS = 0.25
STDERR_TAIL = 20

LineHandler = Callable[[str], None]
Watchdog = Callable[[], Awaitable[str | None]]


class ToolResult(NamedTuple):
    """How a program ended: its exit status (negative: killed by that signal), the last stderr lines, and the
    watchdog's reason when the watchdog stopped it."""

    returncode: int
    stderr_tail: tuple[str, ...]
    stopped_by: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.stopped_by is None

    def describe(self, program: str) -> str:
        """A readable account: how it ended and its last stderr lines."""
        if self.returncode < 0:
            try:
                how = f"was killed by {signal.Signals(-self.returncode).name}"
            except ValueError:
                how = f"was killed by signal {-self.returncode}"
        else:
            how = f"exited with status {self.returncode}"
        tail = "\n".join(self.stderr_tail[-8:])
        return f"{program} {how}" + (f":\n{tail}" if tail else "")


async def _pump(stream: asyncio.StreamReader, handle: LineHandler) -> None:
    while True:
        raw = await stream.readline()
        if not raw:
            return
        handle(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()




async def run_tool(
    argv: Sequence[str],
    *,
    on_stdout: LineHandler | None = None,
    on_stderr: LineHandler | None = None,
    watchdog: Watchdog | None = None,
    tail: int = STDERR_TAIL,
    env: dict[str, str] | None = None,
) -> ToolResult:
    """Run ``argv`` to its end; see the module docstring. `OSError` when it cannot be started."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # Its own process group, so helpers it starts die with it and a terminal's Ctrl-C reaches only us; not its
        # own session: on Linux a new session is a new scheduler autogroup, which on a busy machine got ffmpeg
        # about half the CPU time it gets beside us (the remux ran up to 2x slower than the same ffmpeg run bare).
        process_group=0,
        preexec_fn=DIE_WITH_US,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    lines: deque[str] = deque(maxlen=tail)

    def stderr_line(line: str) -> None:
        lines.append(line)
        if on_stderr is not None:
            on_stderr(line)

    pumps = asyncio.gather(
        _pump(process.stdout, on_stdout or (lambda _line: None)), _pump(process.stderr, stderr_line)
    )
    pumps.add_done_callback(_retrieve)  # a cancelled or timed-out gather is not "never retrieved" in the log
    stopped_by: str | None = None
    try:
        while True:
            done, _ = await asyncio.wait({pumps}, timeout=POLL_SECONDS)
            if done:
                break
            if watchdog is not None:
                stopped_by = await watchdog()
                if stopped_by is not None:
                    _kill(process)
                    break
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pumps, timeout=2.0)
        returncode = await process.wait()
    except BaseException:
        _kill(process)
        pumps.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(process.wait(), timeout=1.0)
        raise
    return ToolResult(returncode, tuple(lines), stopped_by)
