"""The rip queue of each drive: queue a rip, run them one after another, throttle progress, report the end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

from amphigory_daemon.daemon.handlers import fail
from amphigory_daemon.daemon.slots import Context, Rip, Slot
from amphigory_daemon.drive import DriveState, IllegalTransition
from amphigory_protocol.checksum import checksum_fields
from amphigory_protocol.disc import DiscType
from amphigory_protocol.messages import EventName

if TYPE_CHECKING:
    from amphigory_daemon.rip import RipJob

PROGRESS_INTERVAL = 0.25  # seconds between rip_progress events of one rip (the last one always goes)


async def queue_rip(ctx: Context, slot: Slot, rip: Rip) -> dict[str, Any]:
    """Answer a `rip` request: refuse it (`no_disc`, `fingerprint_mismatch`) or queue it on the drive."""
    async with slot.lock:
        if slot.drive.state is DriveState.EMPTY:
            raise fail("no_disc", f"drive {slot.drive.drive_id} is empty")
        if slot.drive.fingerprint != rip.fingerprint:
            raise fail("fingerprint_mismatch", f"drive {slot.drive.drive_id} holds {slot.drive.fingerprint}, "
                                               f"not {rip.fingerprint}")
        slot.rips.append(rip)
        queued = len(slot.rips) + (1 if slot.rip_current is not None else 0)
        if slot.rip_worker is None:
            slot.rip_worker = ctx.spawn(rip_worker(ctx, slot))
    return {"accepted": True, "queued": queued}


async def rip_worker(ctx: Context, slot: Slot) -> None:
    """This drive's rips, one after another (other drives have their own worker)."""
    try:
        while True:
            async with slot.lock:
                if not slot.rips:
                    return
                rip = slot.rips.popleft()
                slot.rip_current = rip
            rip.task = asyncio.ensure_future(run_rip(ctx, slot, rip))
            await asyncio.wait([rip.task])
            slot.rip_current = None
    finally:
        slot.rip_worker = None
        slot.rip_current = None


async def run_rip(ctx: Context, slot: Slot, rip: Rip) -> None:
    """Start the rip, run the ripper, report it completed or failed."""
    ripper = ctx.ripper
    job = await _begin_rip(ctx, slot, rip)
    if job is None:
        return
    on_progress = _progress_reporter(ctx, slot, rip)
    try:
        outcome = await ripper(job, on_progress)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        code = getattr(exc, "code", "tool_failed")
        async with slot.lock:
            if not rip.ended:
                await end_rip(ctx, slot, rip, str(code), getattr(exc, "message", str(exc)))
        return
    await _finish_rip(ctx, slot, rip, outcome)


async def _begin_rip(ctx: Context, slot: Slot, rip: Rip) -> RipJob | None:
    """Move the drive to ripping and report rip_started: the ripper's job, or None when the rip cannot run.

    A scan running on the disc (started before this rip, or just as it came up in the queue) ends first."""
    while True:
        async with slot.lock:
            scan = slot.scan_task
            if scan is None:
                return await _start_rip(ctx, slot, rip)
        await asyncio.wait([scan])


async def _start_rip(ctx: Context, slot: Slot, rip: Rip) -> RipJob | None:
    """`_begin_rip` once no scan runs (caller holds the lock)."""
    from amphigory_daemon.rip import RipJob

    if rip.ended:
        return None
    drive = slot.drive
    if drive.fingerprint != rip.fingerprint or slot.media_path is None:
        await end_rip(ctx, slot, rip, "fingerprint_mismatch",
                      f"the drive holds {drive.fingerprint}, not {rip.fingerprint}")
        return None
    try:
        drive.start_rip(rip.task_id, rip.title.number)
    except IllegalTransition as exc:
        await end_rip(ctx, slot, rip, "invalid_job", str(exc))
        return None
    disc_type = drive.disc_type
    if disc_type not in get_args(DiscType):
        await end_rip(ctx, slot, rip, "invalid_job", f"cannot rip a disc of type {disc_type!r}")
        return None
    job = RipJob(source=Path(slot.media_path), disc_type=cast(DiscType, disc_type), title=rip.title,
                 fingerprint=rip.fingerprint, output_root=ctx.output_dir, disc_title=rip.disc_title,
                 output_name=rip.output_name, device=slot.media_path if slot.media_path.startswith("/dev/")
                 else None, on_exists="replace" if rip.replaces else "fail",
                 replaces=Path(rip.replaces) if rip.replaces else None)
    await ctx.emit(slot, EventName.RIP_STARTED, rip_data(
        rip, path=str(planned_path(ctx.output_dir, rip, job.disc_type))))
    return job


def _progress_reporter(ctx: Context, slot: Slot, rip: Rip) -> Callable[[Any], None]:
    """The ripper's progress callback: keeps every report, sends one per `PROGRESS_INTERVAL` (and 100 %)."""
    loop = asyncio.get_running_loop()
    last = [0.0]

    def on_progress(p: Any) -> None:  # the ripper may call this on the loop or from a thread
        rip.last_progress = p
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL and p.percent < 100:
            return
        last[0] = now
        loop.call_soon_threadsafe(lambda: ctx.spawn(rip_progress(ctx, slot, rip, p)))

    return on_progress


async def _finish_rip(ctx: Context, slot: Slot, rip: Rip, outcome: Any) -> None:
    """Report the ripper's outcome: a last 100 % progress if none went yet, then rip_completed."""
    async with slot.lock:
        if rip.ended:
            return
        if rip.last_percent < 100:
            # Progress reports are sent from scheduled callbacks that may not have run yet: whatever the
            # ripper reported, the browser sees the rip reach 100 % before it is complete.
            last = rip.last_progress
            await send_progress(ctx, slot, rip, 100.0, outcome.size_bytes, getattr(last, "speed_bps", 0.0), 0.0)
        rip.ended = True
        if slot.drive.state is DriveState.RIPPING and slot.drive.rip_task_id == rip.task_id:
            slot.drive.complete_rip()
        await ctx.emit(slot, EventName.RIP_COMPLETED, rip_data(
            rip, path=str(outcome.path), size_bytes=outcome.size_bytes,
            duration_seconds=outcome.duration_seconds, **checksum_fields(outcome.checksum)))


async def rip_progress(ctx: Context, slot: Slot, rip: Rip, p: Any) -> None:
    async with slot.lock:
        if rip.ended or slot.drive.rip_task_id != rip.task_id:
            return
        await send_progress(ctx, slot, rip, float(p.percent), p.bytes_written, p.speed_bps, p.eta_seconds)


async def send_progress(ctx: Context, slot: Slot, rip: Rip, percent: float, written: int, speed: float,
                        eta: float | None) -> None:
    """One rip_progress event (caller holds the lock)."""
    if slot.drive.state is DriveState.RIPPING and slot.drive.rip_task_id == rip.task_id:
        slot.drive.update_rip(int(percent))
    rip.last_percent = percent
    await ctx.emit(slot, EventName.RIP_PROGRESS, rip_data(
        rip, percent=round(percent, 1), bytes=written, speed_bps=speed, eta_seconds=eta))


async def end_rip(ctx: Context, slot: Slot, rip: Rip, code: str, message: str) -> None:
    """End one rip, running or queued (caller holds the lock), and report it failed with `code`."""
    if rip.ended:
        return
    rip.ended = True
    if rip in slot.rips:
        slot.rips.remove(rip)
    if rip.task is not None and asyncio.current_task() is not rip.task:
        rip.task.cancel()
    if slot.drive.state is DriveState.RIPPING and slot.drive.rip_task_id == rip.task_id:
        slot.drive.fail_rip(None if code == "cancelled" else message)  # a cancel is not a failure
    await ctx.emit(slot, EventName.RIP_FAILED, rip_data(rip, error={"code": code, "message": message}))


async def end_rips(ctx: Context, slot: Slot, code: str, message: str) -> None:
    """End the running rip and every queued one (caller holds the lock)."""
    for rip in [slot.rip_current, *list(slot.rips)]:
        if rip is not None:
            await end_rip(ctx, slot, rip, code, message)


async def cancel_rip(ctx: Context, slot: Slot, task_id: str) -> bool:
    """End the slot's rip `task_id`, running or queued (caller holds the lock); whether there was one."""
    for rip in [slot.rip_current, *slot.rips]:
        if rip is not None and rip.task_id == task_id and not rip.ended:
            await end_rip(ctx, slot, rip, "cancelled", "the rip was cancelled")
            return True
    return False


def rip_data(rip: Rip, **extra: Any) -> dict[str, Any]:
    """The fields every rip_* event carries, plus `extra`."""
    return {"task_id": rip.task_id, "fingerprint": rip.fingerprint, "track_number": rip.title.number, **extra}


def planned_path(root: Path, rip: Rip, disc_type: str) -> Path:
    """Where the ripper will write (its own naming rules; it may add " (2)" when the name is taken)."""
    from amphigory_daemon.rip.naming import output_path

    return output_path(root, rip.disc_title, rip.output_name, disc_type)
