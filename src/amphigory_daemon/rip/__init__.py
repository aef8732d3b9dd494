"""Ripping: one title of a disc to one verified file (DVD/Blu-ray to MKV, CD track to FLAC).

`rip_title(job, on_progress)` picks the native (ffmpeg) or MakeMKV backend, reports `RipProgress` at least once
a second, writes to a hidden partial name next to the final one, verifies the result (duration within 1 % of the
title's; for FLAC the exact sample count and PCM MD5), hashes it (BLAKE3) and only then gives it its final name,
never replacing an existing file. Every failure is a `RipError` with a typed code, and leaves nothing behind.
"""

from amphigory_daemon.rip.engine import choose_backend, rip_title
from amphigory_daemon.rip.errors import CODES, RipError, RipErrorCode
from amphigory_daemon.rip.models import RipJob, RipOutcome, RipProgress
from amphigory_daemon.rip.naming import safe_name

__all__ = [
    "CODES",
    "RipError",
    "RipErrorCode",
    "RipJob",
    "RipOutcome",
    "RipProgress",
    "choose_backend",
    "rip_title",
    "safe_name",
]
