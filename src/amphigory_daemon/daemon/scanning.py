"""Scans: start one on a drive's disc, run the scanner, report its progress and result; end one early."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from amphigory_daemon.daemon.handlers import fail
from amphigory_daemon.daemon.slots import AsyncScanFn, Context, Slot
from amphigory_daemon.drive import DriveState, IllegalTransition
from amphigory_protocol.messages import EventName


async def start_scan(ctx: Context, slot: Slot, task_id: str) -> dict[str, Any]:
    """Answer a `scan` request: refuse it (`no_disc`, `busy`) or report it started and run it in a task."""
    scanner = ctx.scanner
    async with slot.lock:
        drive = slot.drive
        if drive.state is DriveState.EMPTY or slot.media_path is None:
            raise fail("no_disc", f"drive {drive.drive_id} is empty")
        if slot.identify_task is not None:
            raise fail("busy", f"drive {drive.drive_id} is still identifying its disc")
        try:
            drive.start_scan(task_id)
        except IllegalTransition as exc:
            raise fail("busy", str(exc)) from exc
        fingerprint = drive.fingerprint
        await ctx.emit(slot, EventName.SCAN_STARTED, {"task_id": task_id, "fingerprint": fingerprint})
        await ctx.emit(slot, EventName.SCAN_PROGRESS,
                       {"task_id": task_id, "fingerprint": fingerprint, "percent": 0, "stage": "reading"})
        slot.scan_task = ctx.spawn(run_scan(ctx, slot, scanner, slot.media_path, task_id, slot.generation))
    return {"accepted": True}


PROGRESS_INTERVAL = 0.5  # seconds between scan_progress events (a MakeMKV scan takes minutes)


async def run_scan(ctx: Context, slot: Slot, scanner: AsyncScanFn, path: str, task_id: str,
                   generation: int) -> None:
    """Scan `path` and report completed or failed, unless the disc or the scan changed meanwhile."""
    last = [0.0]

    def on_progress(fraction: float, stage: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            ctx.spawn(_progress(ctx, slot, task_id, generation, fraction, stage))

    try:
        raw = await scanner(path, on_progress)
        result = raw.model_dump(mode="json") if hasattr(raw, "model_dump") else dict(raw)
        error = None
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        result, error = None, {"code": "scan_failed", "message": str(exc) or type(exc).__name__}
    async with slot.lock:
        if slot.generation != generation or slot.drive.scan_task_id != task_id or slot.scan_task is None:
            return
        slot.scan_task = None
        fingerprint = (result or {}).get("fingerprint") or slot.drive.fingerprint
        if result is not None:
            slot.drive.complete_scan(result)
            await ctx.emit(slot, EventName.SCAN_COMPLETED,
                           {"task_id": task_id, "fingerprint": fingerprint, "result": result})
        else:
            assert error is not None
            slot.drive.fail_scan(error["message"])
            await ctx.emit(slot, EventName.SCAN_FAILED,
                           {"task_id": task_id, "fingerprint": fingerprint, "error": error})


async def _progress(ctx: Context, slot: Slot, task_id: str, generation: int, fraction: float, stage: str) -> None:
    async with slot.lock:
        if slot.generation != generation or slot.drive.scan_task_id != task_id or slot.scan_task is None:
            return
        percent = max(0, min(99, int(fraction * 100)))
        slot.drive.update_scan(percent)
        await ctx.emit(slot, EventName.SCAN_PROGRESS, {"task_id": task_id, "fingerprint": slot.drive.fingerprint,
                                                      "percent": percent, "stage": stage or "scanning"})


async def end_scan(ctx: Context, slot: Slot, code: str, message: str) -> None:
    """Stop the running scan (caller holds the lock) and report it failed with `code`."""
    if slot.scan_task is None or slot.drive.state is not DriveState.SCANNING:
        return
    slot.scan_task.cancel()
    slot.scan_task = None
    task_id = slot.drive.scan_task_id
    slot.drive.fail_scan(message)
    await ctx.emit(slot, EventName.SCAN_FAILED, {"task_id": task_id, "fingerprint": slot.drive.fingerprint,
                                                 "error": {"code": code, "message": message}})


async def cancel_scan(ctx: Context, slot: Slot, task_id: str) -> bool:
    """End the slot's scan if it is `task_id` (caller holds the lock); whether it was."""
    if slot.drive.scan_task_id == task_id and slot.scan_task is not None:
        await end_scan(ctx, slot, "cancelled", "the scan was cancelled")
        return True
    return False
