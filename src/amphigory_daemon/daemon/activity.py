"""What the daemon is doing, in words, for the person watching its terminal: one line per disc going in or out,
scan and rip, and a rip's progress every quarter."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from amphigory_protocol.messages import EventName

log = logging.getLogger("amphigory_daemon.activity")

_QUARTERS = (25, 50, 75)


def _reason(data: dict[str, Any]) -> str:
    error = data.get("error") or {}
    return f"{error.get('code', 'failed')}: {error.get('message', '')}".rstrip(": ")


@dataclass
class ActivityLog:
    """Turns events into lines; remembers only how many quarters of each running rip it has told."""

    told: dict[str, int] = field(default_factory=dict)

    def line(self, event: EventName, device: str, data: dict[str, Any]) -> str | None:
        """The line for `event` on drive `device`, or None when it is not worth one."""
        number = data.get("track_number")
        task = str(data.get("task_id"))
        if event is EventName.DISC_INSERTED:
            if not data.get("fingerprint"):
                return f"{device}: a disc went in that cannot be read ({_reason(data)})"
            return (f"{device}: disc {data.get('volume_name') or '?'} ({data.get('disc_type')}, "
                    f"{str(data['fingerprint'])[:16]}…)")
        if event is EventName.DISC_EJECTED:
            return f"{device}: empty"
        if event is EventName.SCAN_COMPLETED:
            titles = len((data.get("result") or {}).get("titles") or [])
            return f"{device}: scanned, {titles} title{'' if titles == 1 else 's'}"
        if event is EventName.SCAN_FAILED:
            return f"{device}: scan failed ({_reason(data)})"
        if event is EventName.RIP_STARTED:
            return f"{device}: ripping title {number} -> {data.get('path')}"
        if event is EventName.RIP_PROGRESS:
            percent = data.get("percent")
            if not isinstance(percent, int | float):
                return None
            reached = sum(1 for q in _QUARTERS if percent >= q)
            if reached <= self.told.get(task, 0):
                return None
            self.told[task] = reached
            return f"{device}: title {number} {percent:.0f} %"
        if event is EventName.RIP_COMPLETED:
            self.told.pop(task, None)
            size = data.get("size_bytes") or 0
            return f"{device}: ripped title {number} -> {data.get('path')} ({size / 1e6:.1f} MB)"
        if event is EventName.RIP_FAILED:
            self.told.pop(task, None)
            return f"{device}: rip of title {number} failed ({_reason(data)})"
        return None

    def report(self, event: EventName, device: str, data: dict[str, Any]) -> None:
        text = self.line(event, device, data)
        if text is not None:
            log.info(text)
