"""A full disk, told apart from other failures the same way everywhere (the daemon's rips, the webapp's filing, a
worker's transcode): by an OSError's errno or by the words a tool's last lines use. Such a failure is `disk_full`,
which tells a person what to do (free space, then retry) where `io_error` or `tool_failed` would not."""

from __future__ import annotations

import errno
from collections.abc import Iterable
from typing import TypeGuard

DISK_FULL = "disk_full"
_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_WORDS = ("no space left on device", "disk quota exceeded", "not enough space")


def is_disk_full(exc: BaseException) -> TypeGuard[OSError]:
    """Whether `exc` is an OSError for a full disk (or an exhausted quota)."""
    return isinstance(exc, OSError) and exc.errno in _ERRNOS


def says_disk_full(lines: Iterable[str]) -> bool:
    """Whether a tool's output says the disk is full (ffmpeg, HandBrakeCLI and makemkvcon print strerror)."""
    text = "\n".join(lines).lower()
    return any(words in text for words in _WORDS)
