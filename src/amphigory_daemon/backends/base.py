"""The one interface every drive backend offers: which drives there are, what happens in them, and eject.

A backend reports facts (a disc went in, came out, or two discs are fighting over one image drive) as
`DriveEvent`s through a sink the daemon hands it; it never touches `OpticalDrive` or the WebSocket. The sink is
a plain synchronous callable that must only be called on the event loop's thread (backends that watch from a
thread hop over with `loop.call_soon_threadsafe`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

DriveEventKind = Literal["inserted", "ejected", "conflict"]


@dataclass(frozen=True)
class DriveEvent:
    """Something that happened in one drive.

    `device` is the drive's device name (`OpticalDrive.device`): an image drive's folder name, `/dev/sr0`, ...
    `path` is what `fingerprint.identify` / `scan_path` read for an inserted disc (an image file, a disc folder,
    a `.cue`, a device node). `volume_name` and `disc_type` are the backend's hints (None when it cannot tell
    before reading the disc); the daemon trusts `identify()` over them.
    """

    kind: DriveEventKind
    device: str
    path: str | None = None
    volume_name: str | None = None
    disc_type: str | None = None
    message: str = ""


EventSink = Callable[[DriveEvent], None]


class BackendError(RuntimeError):
    """A backend could not do what was asked (no such drive, eject refused by the hardware, ...)."""


class DriveBackend(ABC):
    """Where discs come from. Lifecycle: `drives()` is valid after construction; `start(sink)` reports the discs
    already present as `inserted` events and then every change until `stop()`."""

    name: str = "backend"

    @abstractmethod
    def drives(self) -> list[str]:
        """Device names of the drives this backend watches (stable for the backend's life)."""

    @abstractmethod
    async def start(self, sink: EventSink) -> None:
        """Begin watching; returns once watching (it does not block until stop)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop watching and release threads and handles; idempotent."""

    @abstractmethod
    async def eject(self, device: str) -> None:
        """Take the disc out of `device` (raises `BackendError` when it cannot)."""
