"""The one error a rip ends with: a typed code the daemon puts into ``rip_failed`` and a readable message."""

from __future__ import annotations

from typing import Literal, get_args

RipErrorCode = Literal[
    "cancelled",  # the rip was stopped on request (the task was cancelled)
    "disc_ejected",  # the disc (image, folder, cue/bin) went away while ripping
    "disk_full",  # the output file system ran out of space
    "tool_failed",  # ffmpeg / makemkvcon failed, crashed or was killed; message ends with its last stderr lines
    "verify_failed",  # the output does not match the title (duration, sample count, checksum)
    "exists",  # the output file already exists and the job does not allow another name
    "invalid_job",  # the job cannot be ripped as given (unknown source, unsafe name, missing tool)
    "fingerprint_mismatch",  # the disc is not the one the job was made for
    "read_error",  # the drive could not read part of the disc, even after cd-paranoia's retries
]
CODES: frozenset[str] = frozenset(get_args(RipErrorCode))


class RipError(Exception):
    """A rip that ended without a finished file; nothing partial is left behind when this is raised."""

    def __init__(self, code: RipErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: RipErrorCode = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The ``error`` object of a ``rip_failed`` event."""
        return {"code": self.code, "message": self.message}
