"""The daemon's activity lines: what a person watching its terminal reads."""

from __future__ import annotations

from amphigory_daemon.daemon.activity import ActivityLog
from amphigory_protocol import EventName


def test_a_disc_goes_in_is_scanned_and_a_title_ripped() -> None:
    log = ActivityLog()
    fp = "dvd-" + "ab" * 32
    assert log.line(EventName.DISC_INSERTED, "drive1", {"fingerprint": fp, "volume_name": "MOVIE",
                                                         "disc_type": "dvd"}) == f"drive1: disc MOVIE (dvd, {fp[:16]}…)"
    assert log.line(EventName.SCAN_COMPLETED, "drive1", {"result": {"titles": [{}, {}]}}) == "drive1: scanned, 2 titles"
    assert log.line(EventName.RIP_STARTED, "drive1", {"track_number": 1, "path": "/r/M.mkv"}) == (
        "drive1: ripping title 1 -> /r/M.mkv")
    told = [log.line(EventName.RIP_PROGRESS, "drive1", {"task_id": "t", "track_number": 1, "percent": p})
            for p in (3, 20, 26, 40, 51, 99, 100)]
    assert told == [None, None, "drive1: title 1 26 %", None, "drive1: title 1 51 %", "drive1: title 1 99 %", None]
    assert log.line(EventName.RIP_COMPLETED, "drive1", {"task_id": "t", "track_number": 1, "path": "/r/M.mkv",
                                                         "size_bytes": 2_500_000}) == (
        "drive1: ripped title 1 -> /r/M.mkv (2.5 MB)")
    assert log.told == {}
    assert log.line(EventName.DISC_EJECTED, "drive1", {}) == "drive1: empty"


def test_failures_say_why_and_chatter_is_quiet() -> None:
    log = ActivityLog()
    assert log.line(EventName.DISC_INSERTED, "d", {"fingerprint": None, "error": {"code": "unreadable",
                                                                                 "message": "no VIDEO_TS"}}) == (
        "d: a disc went in that cannot be read (unreadable: no VIDEO_TS)")
    assert log.line(EventName.RIP_FAILED, "d", {"task_id": "t", "track_number": 2,
                                                "error": {"code": "disk_full", "message": "no space"}}) == (
        "d: rip of title 2 failed (disk_full: no space)")
    assert log.line(EventName.DRIVE_STATE_CHANGED, "d", {}) is None
    assert log.line(EventName.SCAN_PROGRESS, "d", {"percent": 50}) is None
