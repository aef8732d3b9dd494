"""The linux backend with fake udev and ioctl layers, and its reading path on a real loop device."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from amphigory_daemon.backends.base import BackendError, DriveEvent
from amphigory_daemon.backends.linux import (
    CDS_DISC_OK,
    CDS_DRIVE_NOT_READY,
    CDS_NO_DISC,
    CDS_TRAY_OPEN,
    LinuxBackend,
    UdevDrive,
    media_from_udev,
)
from helpers_loop import attached_loop_device
from helpers_patience import patient

DVD = {"ID_CDROM": "1", "ID_CDROM_MEDIA": "1", "ID_CDROM_MEDIA_DVD": "1", "ID_FS_LABEL": "MY_MOVIE"}
EMPTY = {"ID_CDROM": "1"}


class FakeUdev:
    def __init__(self, **drives: dict[str, str]) -> None:
        self.state = {f"/dev/{k}": v for k, v in drives.items()}
        self.changes: queue.Queue[UdevDrive] = queue.Queue()
        self.closed = False

    def drives(self) -> list[UdevDrive]:
        return [UdevDrive(d, p) for d, p in self.state.items()]

    def poll(self, timeout: float) -> UdevDrive | None:
        try:
            return self.changes.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.closed = True

    def change(self, device: str, props: dict[str, str]) -> None:
        self.state[device] = props
        self.changes.put(UdevDrive(device, props))


class FakeIoctl:
    def __init__(self) -> None:
        self.status: dict[str, int] = {}
        self.ejects: list[str] = []
        self.fail_eject = False

    def drive_status(self, device: str) -> int:
        return self.status.get(device, CDS_NO_DISC)

    def eject(self, device: str) -> None:
        if self.fail_eject:
            raise OSError(5, "Input/output error")
        self.ejects.append(device)
        self.status[device] = CDS_TRAY_OPEN


async def wait_for(events: list[DriveEvent], n: int, timeout: float = 3.0) -> None:
    end = time.monotonic() + patient(timeout)
    while len(events) < n:
        assert time.monotonic() < end, f"expected {n} events, got {events}"
        await asyncio.sleep(0.01)


def test_media_from_udev_properties() -> None:
    assert media_from_udev(EMPTY).present is False
    dvd = media_from_udev(DVD)
    assert (dvd.present, dvd.disc_type, dvd.label) == (True, "dvd", "MY_MOVIE")
    bd = media_from_udev({"ID_CDROM_MEDIA": "1", "ID_CDROM_MEDIA_BD": "1", "ID_CDROM_MEDIA_DVD": "1"})
    assert bd.disc_type == "bluray"
    audio = {"ID_CDROM_MEDIA": "1", "ID_CDROM_MEDIA_CD": "1", "ID_CDROM_MEDIA_TRACK_COUNT_AUDIO": "12"}
    assert media_from_udev(audio).disc_type == "cd" and media_from_udev(audio).label is None
    data_cd = {"ID_CDROM_MEDIA": "1", "ID_CDROM_MEDIA_CD": "1", "ID_CDROM_MEDIA_TRACK_COUNT_DATA": "1"}
    assert media_from_udev(data_cd).disc_type is None


async def test_udev_changes_become_events() -> None:
    udev, ioctl = FakeUdev(sr0=EMPTY, sr1=DVD), FakeIoctl()
    ioctl.status["/dev/sr1"] = CDS_DISC_OK
    backend = LinuxBackend(udev, ioctl, poll_interval=60)
    events: list[DriveEvent] = []
    assert backend.drives() == ["/dev/sr0", "/dev/sr1"]
    await backend.start(events.append)
    try:
        await wait_for(events, 1)
        assert events[0] == DriveEvent("inserted", "/dev/sr1", "/dev/sr1", "MY_MOVIE", "dvd")
        ioctl.status["/dev/sr0"] = CDS_DISC_OK
        udev.change("/dev/sr0", {**DVD, "ID_FS_LABEL": "OTHER"})
        await wait_for(events, 2)
        assert events[1].kind == "inserted" and events[1].volume_name == "OTHER"
        ioctl.status["/dev/sr0"] = CDS_NO_DISC
        udev.change("/dev/sr0", EMPTY)
        await wait_for(events, 3)
        assert events[2] == DriveEvent("ejected", "/dev/sr0")
    finally:
        await backend.stop()
    assert udev.closed


async def test_spinning_up_waits_and_poll_catches_missed_events() -> None:
    udev, ioctl = FakeUdev(sr0=EMPTY), FakeIoctl()
    backend = LinuxBackend(udev, ioctl, poll_interval=0.1)
    events: list[DriveEvent] = []
    await backend.start(events.append)
    try:
        ioctl.status["/dev/sr0"] = CDS_DRIVE_NOT_READY
        udev.change("/dev/sr0", DVD)
        await asyncio.sleep(0.15)
        assert events == []  # not ready yet: no half-read disc
        ioctl.status["/dev/sr0"] = CDS_DISC_OK  # ... and no udev event this time: the ioctl poll finds it
        await wait_for(events, 1)
        assert events[0].kind == "inserted" and events[0].path == "/dev/sr0"
    finally:
        await backend.stop()


async def test_eject_uses_the_ioctl() -> None:
    udev, ioctl = FakeUdev(sr0=DVD), FakeIoctl()
    ioctl.status["/dev/sr0"] = CDS_DISC_OK
    backend = LinuxBackend(udev, ioctl, poll_interval=60)
    events: list[DriveEvent] = []
    await backend.start(events.append)
    try:
        await wait_for(events, 1)
        await backend.eject("/dev/sr0")
        await wait_for(events, 2)
        assert ioctl.ejects == ["/dev/sr0"] and events[1].kind == "ejected"
        ioctl.fail_eject = True
        with pytest.raises(BackendError, match="Input/output error"):
            await backend.eject("/dev/sr0")
        with pytest.raises(BackendError):
            await backend.eject("/dev/sr7")
    finally:
        await backend.stop()


# -- the reading path on a real block device -------------------------------------------------------------------


@pytest.fixture
def loop_device(samples: Path) -> Iterator[tuple[str, Path]]:
    iso = samples / "dvd" / "AMPHIGORY_SAMPLE_DVD.iso"
    with attached_loop_device(iso) as device:
        yield str(device), iso


def test_identify_on_a_loop_device_matches_the_iso(loop_device: tuple[str, Path]) -> None:
    from amphigory_daemon.fingerprint import identify

    device, iso = loop_device
    from_device, from_file = identify(device), identify(iso)
    assert from_device.fingerprint == from_file.fingerprint
    assert from_device.volume_name == from_file.volume_name == "AMPHIGORY_SAMPLE_DVD"
    assert from_device.public_ids == from_file.public_ids


async def test_daemon_fingerprints_a_disc_in_a_loop_device_drive(loop_device: tuple[str, Path]) -> None:
    """The whole linux path: udev says media, the ioctl agrees, the daemon reads the device node."""
    from amphigory_daemon.fingerprint import identify
    from amphigory_daemon.main import Daemon

    device, iso = loop_device
    udev, ioctl = FakeUdev(), FakeIoctl()
    udev.state[device] = DVD
    ioctl.status[device] = CDS_DISC_OK
    emitted: list[tuple[str, dict[str, object]]] = []

    class Client:
        def on_request(self, method: str, handler: object) -> None:
            pass

        async def emit(self, event: object, drive_id: str | None, data: dict[str, object]) -> None:
            emitted.append((str(getattr(event, "value", event)), data))

    daemon = Daemon("t@h", [LinuxBackend(udev, ioctl, poll_interval=60)])
    daemon.attach(Client())
    await daemon.start()
    try:
        end = time.monotonic() + 5
        while not any(e == "disc_inserted" for e, _ in emitted):
            assert time.monotonic() < end
            await asyncio.sleep(0.01)
        data = next(d for e, d in emitted if e == "disc_inserted")
        assert data["fingerprint"] == identify(iso).fingerprint
        assert daemon.drives[0].drive_id == f"t@h:{device.removeprefix('/dev/')}"
    finally:
        await daemon.stop()
