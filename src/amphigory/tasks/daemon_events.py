"""What a daemon's event does to tasks and tracks: progress, completion (a scan stored, a rip filed), failure.

Events only ever apply to a task of the daemon that sent them; a completed scan is stored under the fingerprint
the event carries (the disc that was scanned), never under whatever disc the drive holds now. Handlers set state
and never count, so an event applied twice (after a webapp restart) changes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from amphigory.api.disc_repository import DiscRepository
from amphigory.library.ripped import drop_replaced_rip
from amphigory.tasks.models import ACTIVE, ASSUMED_FAILURES, RipListener, ScanListener, TaskStatus
from amphigory.tasks.records import TaskRecords
from amphigory_protocol.checksum import event_checksum
from amphigory_protocol.disc import ScanResult
from amphigory_protocol.messages import Event, EventName

log = logging.getLogger(__name__)

# A disc went in: (daemon_id, drive_id, fingerprint).
DiscInserted = Callable[[str, str, str], Awaitable[None]]
_PROGRESS = (EventName.SCAN_STARTED, EventName.RIP_STARTED, EventName.SCAN_PROGRESS, EventName.RIP_PROGRESS)


class TaskEvents:
    """Applies daemon events to the task records and the disc repository."""

    def __init__(self, records: TaskRecords, discs: DiscRepository, rip_listeners: list[RipListener],
                 disc_inserted: DiscInserted, scan_listeners: list[ScanListener] | None = None) -> None:
        self.records = records
        self.scan_listeners = scan_listeners if scan_listeners is not None else []
        self.discs = discs
        self.rip_listeners = rip_listeners
        self.disc_inserted = disc_inserted

    async def apply(self, daemon_id: str, event: Event) -> None:
        data = event.data
        kind = event.event
        if kind in _PROGRESS:
            await self._progress(daemon_id, event)
        elif kind is EventName.SCAN_COMPLETED:
            await self._scan_completed(daemon_id, data.get("task_id"), data.get("fingerprint"), data.get("result"))
        elif kind is EventName.RIP_COMPLETED:
            await self._rip_completed(daemon_id, event)
        elif kind in (EventName.SCAN_FAILED, EventName.RIP_FAILED):
            await self._failed(daemon_id, event)
        elif kind is EventName.DISC_INSERTED and isinstance(data.get("fingerprint"), str) and data["fingerprint"] \
                and event.drive_id:
            await self.disc_inserted(daemon_id, event.drive_id, data["fingerprint"])
        # Otherwise (disc_ejected, drive_state_changed) the manager mirrors the drive and the drives API shows a
        # known disc as known_disc from its fingerprint: nothing to do here.

    async def _progress(self, daemon_id: str, event: Event) -> None:
        data = event.data
        task_id, fingerprint = data.get("task_id"), data.get("fingerprint")
        percent = data.get("percent", 0)
        progress = int(percent) if isinstance(percent, int | float) else None
        if event.event is EventName.RIP_STARTED and fingerprint and isinstance(data.get("track_number"), int):
            await self.discs.record_rip_started(fingerprint, data["track_number"], data.get("path"))
        if isinstance(task_id, str):
            await self.records.progress(task_id, daemon_id, progress)

    async def _scan_completed(self, daemon_id: str, task_id: Any, fingerprint: Any, raw: Any) -> None:
        try:
            result = ScanResult.model_validate(raw)
        except ValidationError as exc:
            if isinstance(task_id, str):
                await self.records.finish(task_id, daemon_id, "failed",
                                          error=f"invalid scan result: {exc.errors()[0]}", error_code="invalid_result")
            return
        key = fingerprint if isinstance(fingerprint, str) and fingerprint else result.fingerprint
        disc = await self.discs.save_scan(result, key)
        await self.records.broadcast({"type": "disc", "fingerprint": key, "title": disc.title})
        if isinstance(task_id, str):
            summary = {"fingerprint": key, "title": disc.title, "titles": len(result.titles)}
            await self.records.finish(task_id, daemon_id, "complete", result=summary, fingerprint=key)
        for listener in self.scan_listeners:
            try:
                await listener(key)
            except Exception:  # a listener's trouble never fails the scan
                log.exception("scan listener failed for %s", key)

    async def _rip_completed(self, daemon_id: str, event: Event) -> None:
        data = event.data
        task_id, fingerprint, number = data.get("task_id"), data.get("fingerprint"), data.get("track_number")
        keys = ("path", "size_bytes", "duration_seconds", "sha256", "checksum")
        result = {k: data.get(k) for k in keys}
        checksum = event_checksum(data)
        result["checksum"] = None if checksum is None else str(checksum)
        if fingerprint and isinstance(number, int):
            await self.discs.record_rip_completed(fingerprint, number, data.get("path"), data.get("size_bytes"),
                                                  checksum)
            # Once per rip: a replayed event for a task already complete files nothing again.
            task = await self.records.get(task_id) if isinstance(task_id, str) else None
            if task is not None and isinstance(data.get("path"), str):
                await drop_replaced_rip(task.params.get("replaces"), data["path"])
            if task is None or task.status in ACTIVE or task.error_code in ASSUMED_FAILURES:
                for listener in self.rip_listeners:
                    filing = await listener(daemon_id, event.drive_id or "", fingerprint, number)
                    if filing is not None:
                        result["filing"] = filing
        if isinstance(task_id, str):
            await self.records.finish(task_id, daemon_id, "complete", result=result)

    async def _failed(self, daemon_id: str, event: Event) -> None:
        data = event.data
        task_id, fingerprint, number = data.get("task_id"), data.get("fingerprint"), data.get("track_number")
        raw_error = data.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = str(error.get("code") or "failed")
        message = str(error.get("message") or f"{event.event.value} without a message")
        if event.event is EventName.RIP_FAILED and fingerprint and isinstance(number, int):
            await self.discs.record_rip_failed(fingerprint, number, None if code == "cancelled" else message)
        if isinstance(task_id, str):
            status: TaskStatus = "cancelled" if code == "cancelled" else "failed"
            await self.records.finish(task_id, daemon_id, status, error=message, error_code=code)
