"""The macos backend on recorded `drutil` / `diskutil` output (written from the documented formats), and backend
selection."""

from __future__ import annotations

import plistlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from amphigory_daemon.backends import select_backends
from amphigory_daemon.backends.base import BackendError, DriveEvent
from amphigory_daemon.backends.image import ImageDriveBackend
from amphigory_daemon.backends.macos import (
    MacBackend,
    disc_type_of,
    parse_diskutil_info,
    parse_drutil_list,
    parse_drutil_status,
    raw_device,
)
from amphigory_daemon.config import DaemonSettings

DRUTIL_LIST = """\
   Vendor   Product           Rev   Bus       SupportLevel
1  MATSHITA DVD-R   UJ-8A8     HB13  ATAPI     Apple Shipping
2  HL-DT-ST BD-RE  WH16NS40   1.05  USB       Unsupported
"""

STATUS_DVD = """\
 Vendor   Product           Rev
 MATSHITA DVD-R   UJ-8A8     HB13

           Type: DVD-ROM              Name: /dev/disk4
       Sessions: 1                  Tracks: 1
   Overwritable:   00:00:00         blocks:        0 /   0.00MB /   0.00MiB
     Space Free:   00:00:00         blocks:        0 /   0.00MB /   0.00MiB
     Space Used:  1245:32:45         blocks:  5605145 /  11.48GB /  10.69GiB
    Writability:
      Book Type: DVD-ROM
"""

STATUS_EMPTY = """\
 Vendor   Product           Rev
 HL-DT-ST BD-RE  WH16NS40   1.05

           Type: No Media Inserted
"""

STATUS_CD = """\
 Vendor   Product           Rev
 HL-DT-ST BD-RE  WH16NS40   1.05

           Type: CD-ROM               Name: /dev/disk5
       Sessions: 1                  Tracks: 12
"""


def plist(**info: object) -> str:
    return plistlib.dumps(info).decode()


INFO_DVD = plist(DeviceNode="/dev/disk4", VolumeName="MY_MOVIE", OpticalMediaType="DVD-ROM", Optical=True,
                 FilesystemType="udf")
INFO_CD = plist(DeviceNode="/dev/disk5", VolumeName="Audio CD", OpticalMediaType="CD-ROM", Optical=True,
                FilesystemType="cddafs")


def test_parsers() -> None:
    assert parse_drutil_list(DRUTIL_LIST) == [1, 2]
    assert parse_drutil_list("") == []
    dvd = parse_drutil_status(STATUS_DVD)
    assert (dvd.media_type, dvd.device) == ("DVD-ROM", "/dev/disk4")
    assert parse_drutil_status(STATUS_EMPTY).media_type is None
    assert parse_drutil_status("garbage").media_type is None
    info = parse_diskutil_info(INFO_DVD.encode())
    assert info["VolumeName"] == "MY_MOVIE"
    assert parse_diskutil_info(b"not a plist") == {}
    assert disc_type_of("DVD-ROM", info) == "dvd"
    assert disc_type_of("BD-ROM", {}) == "bluray"
    assert disc_type_of("CD-ROM", parse_diskutil_info(INFO_CD.encode())) == "cd"
    assert disc_type_of("CD-ROM", {"FilesystemType": "cd9660"}) is None
    assert raw_device("/dev/disk4") == "/dev/rdisk4"


class Mac:
    """A pretend Mac: command line -> recorded output."""

    def __init__(self) -> None:
        self.outputs = {
            ("drutil", "list"): DRUTIL_LIST,
            ("drutil", "-drive", "1", "status"): STATUS_DVD,
            ("drutil", "-drive", "2", "status"): STATUS_EMPTY,
            ("diskutil", "info", "-plist", "/dev/disk4"): INFO_DVD,
            ("diskutil", "info", "-plist", "/dev/disk5"): INFO_CD,
        }
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, args: Sequence[str]) -> str:
        self.calls.append(tuple(args))
        if tuple(args[-1:]) == ("eject",):
            return ""
        try:
            return self.outputs[tuple(args)]
        except KeyError:
            raise BackendError(f"unexpected command {args}") from None


async def test_polling_reports_inserts_and_ejects() -> None:
    mac = Mac()
    backend = MacBackend(mac, poll_interval=60)
    events: list[DriveEvent] = []
    assert backend.drives() == ["optical1", "optical2"]
    await backend.start(events.append)
    try:
        assert events == [DriveEvent("inserted", "optical1", "/dev/rdisk4", "MY_MOVIE", "dvd")]
        mac.outputs[("drutil", "-drive", "2", "status")] = STATUS_CD
        await backend.poll_once()
        assert events[1] == DriveEvent("inserted", "optical2", "/dev/rdisk5", "Audio CD", "cd")
        await backend.poll_once()
        assert len(events) == 2  # nothing changed
        mac.outputs[("drutil", "-drive", "1", "status")] = STATUS_EMPTY
        await backend.eject("optical1")
        assert ("drutil", "-drive", "1", "eject") in mac.calls
        assert events[2] == DriveEvent("ejected", "optical1")
        with pytest.raises(BackendError):
            await backend.eject("optical9")
    finally:
        await backend.stop()


def test_select_backends(tmp_path: Path) -> None:
    image = DaemonSettings(image_drives=(tmp_path / "d1",), backend="image")
    (chosen,) = select_backends(image)
    assert isinstance(chosen, ImageDriveBackend) and chosen.drives() == ["d1"]
    with pytest.raises(BackendError, match="image-drive"):
        select_backends(DaemonSettings(backend="image"))
    with pytest.raises(BackendError, match="does not run"):
        select_backends(DaemonSettings(backend="macos"), platform="linux")
    auto = select_backends(DaemonSettings(image_drives=(tmp_path / "d1",)), platform="sunos5")
    assert [b.name for b in auto] == ["image"]
    assert select_backends(DaemonSettings(), platform="sunos5") == []
