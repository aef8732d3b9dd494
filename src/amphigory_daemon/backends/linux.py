"""Real drives on Linux: udev says when media changes, the CDROM ioctls say what the drive holds and eject it.

Drives are the block devices udev marks `ID_CDROM=1` (`/dev/sr0`, ...). A thread waits on a pyudev monitor for
their `change` events (`ID_CDROM_MEDIA=1` = a disc, with `ID_CDROM_MEDIA_{CD,DVD,BD}*` for its kind and
`ID_FS_LABEL` for its label) and confirms each with `CDROM_DRIVE_STATUS`; every `poll_interval` it also asks the
ioctl directly, as a safety net for drives whose media events go missing. The disc is read through its device
node, unmounted (`fingerprint.identify('/dev/sr0')` opens it like an ISO). Both the udev side and the ioctl side
are small interfaces (`UdevSource`, `CdromIoctl`) so tests run them as fakes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from amphigory_daemon.backends.base import BackendError, DriveBackend, DriveEvent, EventSink

log = logging.getLogger(__name__)

# <linux/cdrom.h>
CDROMEJECT = 0x5309
CDROM_DRIVE_STATUS = 0x5326
CDROM_LOCKDOOR = 0x5329
CDSL_CURRENT = 0x7FFFFFFF
CDS_NO_INFO, CDS_NO_DISC, CDS_TRAY_OPEN, CDS_DRIVE_NOT_READY, CDS_DISC_OK = range(5)


@dataclass(frozen=True)
class UdevDrive:
    """One optical drive as udev describes it: its device node and its properties."""

    device: str
    properties: Mapping[str, str]


class UdevSource(Protocol):
    """The udev side: the drives now, and their change events."""

    def drives(self) -> list[UdevDrive]: ...

    def poll(self, timeout: float) -> UdevDrive | None:
        """The next change of an optical drive, or None after `timeout` seconds (or for another device)."""
        ...

    def close(self) -> None: ...


class CdromIoctl(Protocol):
    """The ioctl side: `CDROM_DRIVE_STATUS` (a `CDS_*` value) and `CDROMEJECT`."""

    def drive_status(self, device: str) -> int: ...

    def eject(self, device: str) -> None: ...


class PyudevSource:
    """`UdevSource` on pyudev (netlink monitor on the `block` subsystem)."""

    def __init__(self) -> None:
        import pyudev

        self._context = pyudev.Context()
        self._monitor: Any = None
        self._pyudev = pyudev

    def drives(self) -> list[UdevDrive]:
        return [
            UdevDrive(str(d.device_node), dict(d.properties))
            for d in self._context.list_devices(subsystem="block")
            if d.properties.get("ID_CDROM") == "1" and d.device_node
        ]

    def poll(self, timeout: float) -> UdevDrive | None:
        if self._monitor is None:
            self._monitor = self._pyudev.Monitor.from_netlink(self._context)
            self._monitor.filter_by("block")
            self._monitor.start()
        dev = self._monitor.poll(timeout=timeout)
        if dev is None or dev.properties.get("ID_CDROM") != "1" or not dev.device_node:
            return None
        return UdevDrive(str(dev.device_node), dict(dev.properties))

    def close(self) -> None:
        self._monitor = None


class FcntlCdrom:
    """`CdromIoctl` through fcntl on the device node, opened non-blocking so an empty drive opens at all."""

    def _ioctl(self, device: str, request: int, arg: int) -> int:
        import fcntl

        fd = os.open(device, os.O_RDONLY | os.O_NONBLOCK)
        try:
            return int(fcntl.ioctl(fd, request, arg))
        finally:
            os.close(fd)

    def drive_status(self, device: str) -> int:
        return self._ioctl(device, CDROM_DRIVE_STATUS, CDSL_CURRENT)

    def eject(self, device: str) -> None:
        try:
            self._ioctl(device, CDROM_LOCKDOOR, 0)
        except OSError:
            pass  # not lockable (or not locked); eject anyway
        self._ioctl(device, CDROMEJECT, 0)


@dataclass(frozen=True)
class Media:
    """What udev says is in a drive."""

    present: bool
    disc_type: str | None
    label: str | None


def media_from_udev(props: Mapping[str, str]) -> Media:
    """Read `ID_CDROM_MEDIA*` and `ID_FS_LABEL`. Disc type: BD/DVD media by name; a CD with audio tracks is an
    audio CD; anything else is left to `identify()` (None)."""
    if props.get("ID_CDROM_MEDIA") != "1":
        return Media(False, None, None)
    keys = {k for k, v in props.items() if v == "1"}
    disc_type: str | None = None
    if any(k.startswith("ID_CDROM_MEDIA_BD") for k in keys):
        disc_type = "bluray"
    elif any(k.startswith("ID_CDROM_MEDIA_DVD") or k.startswith("ID_CDROM_MEDIA_HDDVD") for k in keys):
        disc_type = "dvd"
    elif any(k.startswith("ID_CDROM_MEDIA_CD") for k in keys) and _int(props.get("ID_CDROM_MEDIA_TRACK_COUNT_AUDIO")):
        disc_type = "cd"
    label = props.get("ID_FS_LABEL") or None
    return Media(True, disc_type, label)


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


class LinuxBackend(DriveBackend):
    """Optical drives through udev and the CDROM ioctls; see the module docstring."""

    name = "linux"

    def __init__(self, udev: UdevSource | None = None, ioctl: CdromIoctl | None = None,
                 *, poll_interval: float = 2.0) -> None:
        self.udev: UdevSource = udev if udev is not None else PyudevSource()
        self.ioctl: CdromIoctl = ioctl if ioctl is not None else FcntlCdrom()
        self.poll_interval = poll_interval
        self._devices = sorted(d.device for d in self.udev.drives())
        self._present: dict[str, bool] = {d: False for d in self._devices}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sink: EventSink | None = None

    def drives(self) -> list[str]:
        return list(self._devices)

    async def start(self, sink: EventSink) -> None:
        self._sink, self._loop = sink, asyncio.get_running_loop()
        self._stop.clear()
        for drive in await asyncio.to_thread(self.udev.drives):
            if drive.device in self._present:
                await asyncio.to_thread(self._update, drive.device, drive.properties)
        self._thread = threading.Thread(target=self._watch, name="amphigory-udev", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None
        self.udev.close()

    async def eject(self, device: str) -> None:
        if device not in self._present:
            raise BackendError(f"no optical drive {device}")
        try:
            await asyncio.to_thread(self.ioctl.eject, device)
        except OSError as exc:
            raise BackendError(f"cannot eject {device}: {exc.strerror or exc}") from exc
        self._set(device, False, None)

    # -- the watching thread -----------------------------------------------------------------------------------

    def _watch(self) -> None:
        waited = 0.0
        step = min(0.5, self.poll_interval)
        while not self._stop.is_set():
            try:
                change = self.udev.poll(step)
                if change is not None and change.device in self._present:
                    self._update(change.device, change.properties)
                waited += step if change is None else 0.0
                if waited >= self.poll_interval:
                    waited = 0.0
                    for device in self._devices:
                        self._update(device, None)
            except Exception:  # keep watching: one bad event or a vanished device must not end detection
                log.exception("linux backend: watching drives failed")
                self._stop.wait(1.0)

    def _update(self, device: str, props: Mapping[str, str] | None) -> None:
        """Reconcile one drive with udev's word (None: only the ioctl's) and report a change."""
        media = media_from_udev(props) if props is not None else None
        try:
            status = self.ioctl.drive_status(device)
        except OSError:
            status = CDS_NO_INFO
        if status == CDS_DISC_OK:
            present = True
        elif status in (CDS_NO_DISC, CDS_TRAY_OPEN):
            present = False
        elif status == CDS_DRIVE_NOT_READY:
            return  # spinning up: the next poll will tell
        else:
            present = media.present if media is not None else self._present[device]
        self._set(device, present, media)

    def _set(self, device: str, present: bool, media: Media | None) -> None:
        with self._lock:
            if present == self._present[device]:
                return
            self._present[device] = present
        if present:
            event = DriveEvent("inserted", device, device, volume_name=media.label if media else None,
                               disc_type=media.disc_type if media else None)
        else:
            event = DriveEvent("ejected", device)
        loop, sink = self._loop, self._sink
        if loop is not None and sink is not None:
            loop.call_soon_threadsafe(sink, event)


def has_optical_drives() -> bool:
    """Whether this Linux host has any optical drive udev knows of (False when pyudev cannot run)."""
    try:
        return bool(PyudevSource().drives())
    except Exception:
        return False
