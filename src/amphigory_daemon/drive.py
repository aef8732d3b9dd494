"""OpticalDrive: one drive and the disc in it, as a plain state machine (no I/O).

The daemon keeps one per drive and is the single source of truth about it; every change is pushed to the
webapp. Transitions that make no sense (a scan with no disc, a rip while scanning) raise `IllegalTransition`
and leave the state as it was, so a confused caller can never corrupt it. Insert and eject are facts reported
by the hardware, so they are always accepted.

```
EMPTY --insert--> DISC_INSERTED --start_scan--> SCANNING --complete_scan--> SCANNED
  ^                 ^   |  ^                       |fail_scan                 |
  |                 |   |  +-----------------------+                          |
  |                 |   +--start_rip--> RIPPING <--------------start_rip-------+
  |                 +------fail_rip/complete_rip (back to SCANNED when a scan result is held)
  +--eject (from any state)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class DriveState(Enum):
    """State of the optical drive."""

    EMPTY = "empty"
    DISC_INSERTED = "disc_inserted"
    SCANNING = "scanning"
    SCANNED = "scanned"
    RIPPING = "ripping"


class ScanStatus(Enum):
    """Status of a scan operation."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"


class IllegalTransition(RuntimeError):
    """A transition that the drive's current state does not allow; the state is unchanged."""

    def __init__(self, action: str, state: DriveState, why: str) -> None:
        super().__init__(f"cannot {action} while drive is {state.value}: {why}")
        self.action = action
        self.state = state


_HAS_DISC = (DriveState.DISC_INSERTED, DriveState.SCANNED)


@dataclass
class OpticalDrive:
    """
    Model representing an optical drive and its current state.

    The daemon maintains one OpticalDrive instance per physical drive.
    State changes are pushed to the webapp via WebSocket.
    """

    daemon_id: str
    device: str  # e.g. "/dev/rdisk6", "/dev/sr0", or an image drive's name

    state: DriveState = DriveState.EMPTY

    disc_volume: str | None = None
    disc_type: str | None = None  # "cd", "dvd", "bluray", "uhd"
    fingerprint: str | None = None

    scan_status: ScanStatus | None = None
    scan_task_id: str | None = None
    scan_result: dict[str, Any] | None = None
    scan_error: str | None = None
    scan_progress: int | None = None

    rip_task_id: str | None = None
    rip_track_number: int | None = None
    rip_progress: int | None = None  # 0-100
    rip_error: str | None = None

    disc_inserted_at: datetime | None = None
    last_updated: datetime = field(default_factory=datetime.now)

    @property
    def drive_id(self) -> str:
        """
        Unique identifier for this drive.

        Format: {daemon_id}:{device_name}
        Example: purp@beehive:dev:rdisk6
        """
        device_name = self.device.replace("/dev/", "")
        return f"{self.daemon_id}:{device_name}"

    # -- facts from the hardware -------------------------------------------------------------------------------

    def insert_disc(self, volume: str, disc_type: str) -> None:
        """A disc went in: forget everything about the previous one."""
        self._clear_disc()
        self.state = DriveState.DISC_INSERTED
        self.disc_volume = volume
        self.disc_type = disc_type
        self.disc_inserted_at = datetime.now()
        self._touch()

    def eject_disc(self) -> None:
        """The disc came out (or was pulled mid-operation): back to EMPTY."""
        self._clear_disc()
        self.state = DriveState.EMPTY
        self.disc_volume = None
        self.disc_type = None
        self.disc_inserted_at = None
        self._touch()

    def set_fingerprint(self, fingerprint: str) -> None:
        """Set the disc fingerprint (from generate_fingerprint())."""
        self.fingerprint = fingerprint
        self._touch()

    # -- scan --------------------------------------------------------------------------------------------------

    def start_scan(self, task_id: str) -> None:
        """Start a scan operation."""
        if self.state not in _HAS_DISC:
            raise IllegalTransition("start a scan", self.state, _why(self.state))
        self.state = DriveState.SCANNING
        self.scan_status = ScanStatus.IN_PROGRESS
        self.scan_task_id = task_id
        self.scan_error = None
        self.scan_progress = 0
        self._touch()

    def update_scan(self, progress: int) -> None:
        """Record scan progress (0-100)."""
        self._require(DriveState.SCANNING, "update a scan")
        self.scan_progress = max(0, min(100, int(progress)))
        self._touch()

    def complete_scan(self, result: dict[str, Any]) -> None:
        """Complete a scan operation successfully."""
        self._require(DriveState.SCANNING, "complete a scan")
        self.state = DriveState.SCANNED
        self.scan_status = ScanStatus.COMPLETE
        self.scan_result = result
        self.scan_error = None
        self.scan_progress = 100
        self._touch()

    def fail_scan(self, error: str) -> None:
        """Mark scan as failed; the disc is still there, so back to DISC_INSERTED."""
        self._require(DriveState.SCANNING, "fail a scan")
        self.state = DriveState.DISC_INSERTED
        self.scan_status = ScanStatus.FAILED
        self.scan_error = error
        self.scan_progress = None
        self._touch()

    # -- rip ---------------------------------------------------------------------------------------------------

    def start_rip(self, task_id: str, track_number: int) -> None:
        """Start ripping one title/track."""
        if self.state not in _HAS_DISC:
            raise IllegalTransition("start a rip", self.state, _why(self.state))
        self.state = DriveState.RIPPING
        self.rip_task_id = task_id
        self.rip_track_number = track_number
        self.rip_progress = 0
        self.rip_error = None
        self._touch()

    def update_rip(self, progress: int) -> None:
        """Record rip progress (0-100)."""
        self._require(DriveState.RIPPING, "update a rip")
        self.rip_progress = max(0, min(100, int(progress)))
        self._touch()

    def complete_rip(self) -> None:
        """The rip finished: the disc is still in, with what we knew about it."""
        self._require(DriveState.RIPPING, "complete a rip")
        self._end_rip()
        self.rip_progress = 100

    def fail_rip(self, error: str | None) -> None:
        """The rip failed (`error` says why) or was cancelled (None: no failure to show); the drive goes back to
        where it was before the rip."""
        self._require(DriveState.RIPPING, "fail a rip")
        self._end_rip()
        self.rip_error = error

    # -- output ------------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable representation (the `DriveResponse` fields of the webapp, and more)."""
        return {
            "drive_id": self.drive_id,
            "daemon_id": self.daemon_id,
            "device": self.device,
            "state": self.state.value,
            "disc_volume": self.disc_volume,
            "disc_type": self.disc_type,
            "fingerprint": self.fingerprint,
            "scan_status": self.scan_status.value if self.scan_status else None,
            "scan_task_id": self.scan_task_id,
            "scan_result": self.scan_result,
            "scan_error": self.scan_error,
            "scan_progress": self.scan_progress,
            "rip_task_id": self.rip_task_id,
            "rip_track_number": self.rip_track_number,
            "rip_progress": self.rip_progress,
            "rip_error": self.rip_error,
            "disc_inserted_at": self.disc_inserted_at.isoformat() if self.disc_inserted_at else None,
            "last_updated": self.last_updated.isoformat(),
        }

    # -- helpers -----------------------------------------------------------------------------------------------

    def _require(self, state: DriveState, action: str) -> None:
        if self.state is not state:
            raise IllegalTransition(action, self.state, f"only possible while {state.value}")

    def _end_rip(self) -> None:
        self.state = DriveState.SCANNED if self.scan_result is not None else DriveState.DISC_INSERTED
        self.rip_task_id = None
        self.rip_track_number = None
        self._touch()

    def _clear_disc(self) -> None:
        self.scan_result = None
        self.scan_status = None
        self.scan_task_id = None
        self.scan_error = None
        self.scan_progress = None
        self.fingerprint = None
        self.rip_task_id = None
        self.rip_track_number = None
        self.rip_progress = None
        self.rip_error = None

    def _touch(self) -> None:
        self.last_updated = datetime.now()


def _why(state: DriveState) -> str:
    return {
        DriveState.EMPTY: "there is no disc in the drive",
        DriveState.SCANNING: "a scan is running",
        DriveState.RIPPING: "a rip is running",
    }.get(state, "not allowed")
