"""The webapp's copy of every connected daemon's drives, kept from hellos, re-syncs and events' `drive`.

Each change is handed to `publish` (the browser feed) as a `drive` or `drive_removed` message, the drive without
its (large) scan result. A daemon speaks only of its own drives: a drive another connected daemon already has is
never taken from it (`foreign` says which; the session refuses such messages before they get here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from amphigory_protocol.messages import Event, EventName

log = logging.getLogger(__name__)

Publish = Callable[[dict[str, Any]], None]


def public(drive: dict[str, Any]) -> dict[str, Any]:
    """A drive as browsers get it: without the (large) scan result."""
    return {k: v for k, v in drive.items() if k != "scan_result"}


class DriveMirror:
    """Drives by daemon, then by drive_id; what the drives API and the browser snapshot read."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._drives: dict[str, dict[str, dict[str, Any]]] = {}

    def drives(self) -> list[dict[str, Any]]:
        return [dict(drive) for d in sorted(self._drives) for _, drive in sorted(self._drives[d].items())]

    def drive(self, drive_id: str) -> dict[str, Any] | None:
        for drives in self._drives.values():
            if drive_id in drives:
                return dict(drives[drive_id])
        return None

    def daemon_of(self, drive_id: str) -> str | None:
        return next((d for d, drives in self._drives.items() if drive_id in drives), None)

    def foreign(self, daemon_id: str, drive_ids: Iterable[str | None]) -> list[str]:
        """Those of `drive_ids` that another daemon has (so `daemon_id` may not speak of them)."""
        return [d for d in drive_ids if d is not None and self.daemon_of(d) not in (None, daemon_id)]

    def apply(self, daemon_id: str, event: Event) -> None:
        """Take the drive an event carries; its scan result is the event's (scan_completed) or the one it had."""
        drive = event.data.get("drive")
        if not isinstance(drive, dict) or not isinstance(drive.get("drive_id"), str):
            return
        if self.foreign(daemon_id, [drive["drive_id"]]):
            log.warning("daemon %s spoke of drive %s of another daemon: ignored", daemon_id, drive["drive_id"])
            return
        drives = self._drives.setdefault(daemon_id, {})
        old = drives.get(drive["drive_id"])
        new = dict(drive)
        if event.event is EventName.SCAN_COMPLETED and isinstance(event.data.get("result"), dict):
            new["scan_result"] = event.data["result"]
        elif "scan_result" not in new and old is not None and old.get("fingerprint") == new.get("fingerprint"):
            new["scan_result"] = old.get("scan_result")  # events leave the scan result out; it still holds
        if new != old:
            drives[new["drive_id"]] = new
            self._publish({"type": "drive", "daemon_id": daemon_id, "drive": public(new)})

    def replace(self, daemon_id: str, drives: list[dict[str, Any]]) -> list[str]:
        """A daemon's full list of drives (hello, re-sync): drives it no longer lists are removed. Returns the
        drives it listed that another daemon has (refused)."""
        new = {d["drive_id"]: dict(d) for d in drives if isinstance(d, dict) and isinstance(d.get("drive_id"), str)}
        refused = self.foreign(daemon_id, list(new))
        for drive_id in refused:
            log.warning("daemon %s listed drive %s of another daemon: refused", daemon_id, drive_id)
            del new[drive_id]
        old = self._drives.get(daemon_id, {})
        self._drives[daemon_id] = new
        for drive_id in old.keys() - new.keys():
            self._publish({"type": "drive_removed", "daemon_id": daemon_id, "drive_id": drive_id})
        for drive_id, drive in new.items():
            if old.get(drive_id) != drive:
                self._publish({"type": "drive", "daemon_id": daemon_id, "drive": public(drive)})
        return refused

    def forget(self, daemon_id: str) -> None:
        """The daemon disconnected: every drive of it is removed."""
        self.replace(daemon_id, [])
        self._drives.pop(daemon_id, None)
