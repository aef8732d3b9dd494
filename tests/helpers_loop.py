"""Loop devices for tests: a disc image presented the way a drive presents a disc."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def attached_loop_device(image: Path) -> Iterator[Path]:
    """`image` attached read-only to a loop device, as a drive presents a disc; detached afterwards."""
    if shutil.which("losetup") is None:
        pytest.fail("losetup is not installed (Debian util-linux)")
    done = subprocess.run(["losetup", "-r", "--find", "--show", str(image)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot attach a loop device (run as root): {done.stderr.strip()}")
    device = Path(done.stdout.strip())
    try:
        yield device
    finally:
        subprocess.run(["losetup", "-d", str(device)], check=False)
