"""Where discs come from: image drives (folders), linux (udev + ioctls), macos (drutil/diskutil).

`select_backends(settings)` picks them: `--backend image|linux|macos` forces one; `auto` runs image drives when
any are configured and the platform's real drives when the host has some, both together when both apply.
Blocking (it may ask udev or run `drutil`): call it in a thread from async code.
"""

from __future__ import annotations

import logging
import sys

from amphigory_daemon.backends.base import BackendError, DriveBackend, DriveEvent, EventSink
from amphigory_daemon.config import DaemonSettings

__all__ = ["BackendError", "DriveBackend", "DriveEvent", "EventSink", "select_backends"]

log = logging.getLogger(__name__)


def _real_backend(platform: str, *, required: bool) -> DriveBackend | None:
    if platform.startswith("linux"):
        from amphigory_daemon.backends.linux import LinuxBackend, has_optical_drives

        if required or has_optical_drives():
            return LinuxBackend()
    elif platform == "darwin":
        from amphigory_daemon.backends.macos import MacBackend

        mac = MacBackend()
        if required or mac.drives():
            return mac
    elif required:
        raise BackendError(f"no real-drive backend for platform {platform!r}")
    return None


def select_backends(settings: DaemonSettings, platform: str = sys.platform) -> list[DriveBackend]:
    """The backends `settings` asks for (see the module docstring)."""
    from amphigory_daemon.backends.image import ImageDriveBackend

    choice = settings.backend
    if choice == "image":
        if not settings.image_drives:
            raise BackendError("--backend image needs at least one --image-drive DIR")
        return [ImageDriveBackend(settings.image_drives)]
    if choice in ("linux", "macos"):
        expected = "linux" if platform.startswith("linux") else "macos" if platform == "darwin" else None
        if choice != expected:
            raise BackendError(f"--backend {choice} does not run on {platform}")
        backend = _real_backend(platform, required=True)
        assert backend is not None
        extra: list[DriveBackend] = [ImageDriveBackend(settings.image_drives)] if settings.image_drives else []
        return [backend, *extra]
    if choice != "auto":
        raise BackendError(f"unknown backend {choice!r}: expected auto, image, linux or macos")
    backends: list[DriveBackend] = []
    real = _real_backend(platform, required=False)
    if real is not None:
        backends.append(real)
    if settings.image_drives:
        backends.append(ImageDriveBackend(settings.image_drives))
    if not backends:
        log.warning("no optical drives found and no --image-drive given: this daemon has no drives")
    return backends
