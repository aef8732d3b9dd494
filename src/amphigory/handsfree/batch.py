"""`Batch`: one disc's hands-free work, track by track, from rip to library (pure bookkeeping).

Each track moves ripping -> filing -> filed, or ends held (not named yet), not_filed (the rip cannot be reached
from here), rip_failed, file_failed or cancelled. Matched by fingerprint and track number, not by task id, so an
event that beats the request's answer still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amphigory.tasks.models import Task

RIPPING, FILING = "ripping", "filing"
FAILED = ("rip_failed", "file_failed")


@dataclass
class Batch:
    fingerprint: str
    drive_id: str
    tracks: dict[int, str]  # track number -> state
    problems: list[str] = field(default_factory=list)
    filed: list[str] = field(default_factory=list)  # library-relative paths
    ejected: bool = False

    @property
    def rips_done(self) -> bool:
        return RIPPING not in self.tracks.values()

    @property
    def done(self) -> bool:
        return self.rips_done and FILING not in self.tracks.values()

    def count(self, *states: str) -> int:
        return sum(1 for s in self.tracks.values() if s in states)

    def apply(self, task: Task) -> bool:
        """Note an ended rip or filing of one of this batch's tracks; whether it was one."""
        number = task.track_number
        if task.fingerprint != self.fingerprint or number not in self.tracks:
            return False
        state = self.tracks[number]
        if task.type == "rip" and state == RIPPING:
            self.tracks[number] = _after_rip(task)
            if self.tracks[number] == "rip_failed":
                self.problems.append(f"title {number}: rip failed: {task.error or task.error_code}")
            elif self.tracks[number] == "not_filed":
                note = ((task.result or {}).get("filing") or {}).get("note") or "not filed"
                self.problems.append(f"title {number}: ripped but not filed: {note}")
            return True
        if task.type == "file" and state in (RIPPING, FILING):
            if task.status == "complete":
                self.tracks[number] = "filed"
                path = (task.result or {}).get("library_path")
                if isinstance(path, str):
                    self.filed.append(path)
            elif task.status == "failed":
                self.tracks[number] = "file_failed"
                self.problems.append(f"title {number}: {task.error or task.error_code}")
            else:
                self.tracks[number] = "cancelled"
            return True
        return False


def _after_rip(task: Task) -> str:
    if task.status == "cancelled":
        return "cancelled"
    if task.status == "failed":
        return "rip_failed"
    filing: Any = (task.result or {}).get("filing") or {}
    if filing.get("task_id"):
        return FILING
    return "held" if filing.get("skipped") == "held" else "not_filed"
