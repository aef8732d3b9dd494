"""The OpticalDrive transitions the spec leaves out: rips, and illegal moves that must not corrupt state."""

from __future__ import annotations

import pytest

from amphigory_daemon.drive import DriveState, IllegalTransition, OpticalDrive, ScanStatus


def _drive(state: DriveState = DriveState.EMPTY) -> OpticalDrive:
    drive = OpticalDrive(daemon_id="me@host", device="/dev/sr0")
    if state is not DriveState.EMPTY:
        drive.insert_disc(volume="V", disc_type="dvd")
    if state is DriveState.SCANNING:
        drive.start_scan("s1")
    if state is DriveState.SCANNED:
        drive.start_scan("s1")
        drive.complete_scan({"titles": []})
    return drive


def test_rip_cycle_returns_to_scanned_with_result_kept() -> None:
    drive = _drive(DriveState.SCANNED)
    drive.start_rip(task_id="r1", track_number=3)
    assert drive.state is DriveState.RIPPING
    assert (drive.rip_task_id, drive.rip_track_number, drive.rip_progress) == ("r1", 3, 0)
    drive.update_rip(42)
    assert drive.rip_progress == 42
    drive.complete_rip()
    assert drive.state is DriveState.SCANNED
    assert drive.scan_result == {"titles": []}
    assert drive.rip_task_id is None and drive.rip_progress == 100


def test_failed_rip_of_unscanned_known_disc_goes_back_to_inserted() -> None:
    drive = _drive(DriveState.DISC_INSERTED)
    drive.start_rip(task_id="r1", track_number=1)
    drive.fail_rip("disk full")
    assert drive.state is DriveState.DISC_INSERTED
    assert drive.rip_error == "disk full"
    assert drive.to_dict()["rip_error"] == "disk full"


def test_progress_is_clamped() -> None:
    drive = _drive(DriveState.SCANNED)
    drive.start_rip("r", 1)
    drive.update_rip(250)
    assert drive.rip_progress == 100
    drive.update_rip(-3)
    assert drive.rip_progress == 0


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (DriveState.EMPTY, lambda d: d.start_scan("s")),
        (DriveState.EMPTY, lambda d: d.start_rip("r", 1)),
        (DriveState.SCANNING, lambda d: d.start_rip("r", 1)),
        (DriveState.SCANNING, lambda d: d.start_scan("s2")),
        (DriveState.DISC_INSERTED, lambda d: d.complete_scan({})),
        (DriveState.DISC_INSERTED, lambda d: d.fail_scan("x")),
        (DriveState.SCANNED, lambda d: d.update_rip(5)),
        (DriveState.SCANNED, lambda d: d.complete_rip()),
        (DriveState.DISC_INSERTED, lambda d: d.fail_rip("x")),
    ],
)
def test_illegal_transitions_raise_and_leave_state_alone(state: DriveState, action) -> None:  # type: ignore[no-untyped-def]
    drive = _drive(state)
    before = drive.to_dict()
    with pytest.raises(IllegalTransition) as info:
        action(drive)
    after = drive.to_dict()
    before.pop("last_updated")
    after.pop("last_updated")
    assert after == before
    assert state.value in str(info.value)


def test_eject_mid_rip_is_accepted_and_clears_everything() -> None:
    drive = _drive(DriveState.SCANNED)
    drive.start_rip("r", 2)
    drive.eject_disc()
    assert drive.state is DriveState.EMPTY
    assert drive.rip_task_id is None and drive.scan_status is None and drive.fingerprint is None


def test_scan_progress_and_failure() -> None:
    drive = _drive(DriveState.SCANNING)
    drive.update_scan(30)
    assert drive.to_dict()["scan_progress"] == 30
    drive.fail_scan("unreadable")
    assert drive.scan_status is ScanStatus.FAILED
    assert drive.scan_progress is None
