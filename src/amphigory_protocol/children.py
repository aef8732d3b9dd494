"""Child processes die with their parent: `DIE_WITH_US` is the `preexec_fn` every program we start is given.

On Linux the child asks the kernel for SIGKILL when its parent goes (PR_SET_PDEATHSIG): a daemon, webapp or worker
that crashes (or is killed with SIGKILL) must not leave an ffmpeg or HandBrakeCLI writing a file nobody will ever
finish. The signal follows the *thread* that started the child, so start children from long-lived threads (the
event loop's, a worker's). libc is loaded here, in the parent, so the child only makes one system call before exec.
Elsewhere `DIE_WITH_US` is None (no such facility; the parent's own cleanup has to do).
"""

from __future__ import annotations

import ctypes
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return set_parent_death_signal


DIE_WITH_US = _die_with_parent()
