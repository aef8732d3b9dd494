"""``amphigory rip PATH --title N``: rip one title of one disc here, with a live progress line.

The same engine the daemon uses (amphigory_daemon.rip), for a person at a terminal or a script: scan the disc,
pick the title, rip it to ``<output>/<disc title>/<name>.mkv`` (``.flac`` for a CD track), print where it went.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from amphigory_daemon.rip import RipError, RipJob, RipProgress, rip_title
from amphigory_daemon.scan.native import ScanError, scan_path


def progress_line(p: RipProgress) -> str:
    """One line of progress: percent, size so far, speed and time to go."""
    eta = f"{p.eta_seconds:.0f} s left" if p.eta_seconds is not None else "--"
    return f"{p.percent:5.1f} %  {p.bytes_written / 1e6:8.1f} MB  {p.speed_bps / 1e6:6.1f} MB/s  {eta}"


class _Printer:
    """Progress on one rewritten line on a terminal; a line per second otherwise (logs, pipes)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = 0.0

    def __call__(self, p: RipProgress) -> None:
        now = time.monotonic()
        if self.tty:
            self.out.write("\r" + progress_line(p))
        elif now - self.last >= 1.0 or p.percent >= 100:
            self.out.write(progress_line(p) + "\n")
        else:
            return
        self.last = now
        self.out.flush()


def run_rip(path: str, title: int, output: str, name: str | None, err: TextIO | None = None,
            out: TextIO | None = None) -> int:
    err = err or sys.stderr
    out = out or sys.stdout
    try:
        scan = scan_path(path)
    except ScanError as exc:
        print(f"amphigory rip: {exc}", file=err)
        return 1
    chosen = next((t for t in scan.titles if t.number == title), None)
    if chosen is None:
        numbers = ", ".join(str(t.number) for t in scan.titles)
        print(f"amphigory rip: {path} has no title {title} (it has {numbers})", file=err)
        return 1
    disc_title = scan.title or scan.volume_name or "disc"
    job = RipJob(source=Path(path), disc_type=scan.disc_type, title=chosen, fingerprint=scan.fingerprint,
                 output_root=Path(output), disc_title=disc_title, output_name=name or f"title {title:02d}")
    printer = _Printer(err)
    try:
        outcome = asyncio.run(rip_title(job, printer))
    except RipError as exc:
        print(f"\namphigory rip: {exc.code}: {exc.message}", file=err)
        return 1
    except KeyboardInterrupt:
        print("\namphigory rip: cancelled; nothing was left behind", file=err)
        return 130
    if printer.tty:
        err.write("\n")
    print(f"{outcome.path}\n  {outcome.size_bytes} bytes, {outcome.duration_seconds:.1f} s, {outcome.checksum}",
          file=out)
    return 0
